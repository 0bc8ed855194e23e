import type { DeadLetterStore } from './dlq/dead-letter.store.js';
import type {
  DeadLetterEnvelope,
  Envelope,
  ErrorKind,
  PipelineEnvelope,
  Priority,
  Route,
} from './envelope.js';

/** One delivery of an envelope. `attempt` is 0 on the first delivery and grows by one per nack retry. */
export interface QueueMessage<E extends Envelope = PipelineEnvelope> {
  id: string;
  route: Route;
  priority: Priority;
  envelope: E;
  attempt: number;
  enqueuedAtMs: number;
  /**
   * Distributed backends: identity of this unit of work, kept across redeliveries and nack retries, that work
   * reports (cross-process run completion) refer to.
   */
  workId?: string;
}

/** Resolving acks the message; throwing (or rejecting) nacks it. */
export type QueueHandler<E extends Envelope = PipelineEnvelope> = (msg: QueueMessage<E>) => Promise<void>;

export interface PublishOptions {
  /**
   * Wait for room when the route is at capacity (default true). Publishes made from inside a queue handler must pass
   * false: the handler holds a delivery slot, so if it waited on a full downstream route whose consumers in turn
   * wait on this route, the pipeline would deadlock.
   */
  wait?: boolean;
  /**
   * Deliver no sooner than this many ms from now (retry backoff). The message counts as accepted at once (a durable
   * backend persists it before resolving), so a retry survives a restart; it is admitted past capacity.
   */
  delayMs?: number;
  /**
   * Distributed backends: the work id to give the message. A publish with one is a root the caller tracks itself
   * (a run's task); a publish without one made while handling a message is reported as that message's child.
   */
  workId?: string;
}

export interface SubscribeOptions {
  /** Most messages of this subscription in flight at once (>= 1). */
  concurrency: number;
  /**
   * Distributed backends: consume the topics of this worker group (node placement) instead of the default ones.
   * Local backends run everything in one process and ignore it.
   */
  workerGroup?: string;
}

/**
 * Distributed backends: what handling one message did, as every process sees it on the status topic. The process
 * that started a run completes it when every work id created for it has been reported done.
 */
export interface WorkReport {
  runId: string;
  module: string;
  /** Work id of the handled (or dead-lettered) message. */
  done?: string;
  /** Work ids of the messages published while handling it. */
  created: string[];
  /** Counters added by the handler (pages, items, ...). */
  counters?: Record<string, number>;
}

/** A running work-report watcher. */
export interface WorkReportWatch {
  stop(): Promise<void>;
}

/** Routes an envelope to a worker group's topics (node placement); undefined = the default topics. */
export type WorkerGroupResolver = (route: Route, envelope: PipelineEnvelope) => string | undefined;

export interface QueueSubscription {
  /** No new deliveries to this handler; resolves when its in-flight handlers have settled. */
  stop(): Promise<void>;
}

export interface DeadLetterFailure {
  reason: string;
  errorKind: ErrorKind;
  /** Attempts made, 1 = failed on the first try. */
  attempt: number;
}

/** The pipeline's queues: implemented in memory (LocalQueueManager) and over Kafka. */
/** Durable run state kept next to a durable queue (seen-sets of runs, so a restart does not repeat work). */
export interface QueueStateStore {
  appendToSet(name: string, member: Uint8Array): Promise<void>;
  loadSet(name: string): Promise<Uint8Array[]>;
  clearSet(name: string): Promise<number>;
}

export interface QueueManager {
  readonly backend: 'local' | 'kafka';
  /** Priority defaults to the envelope's routing priority. */
  publish(
    route: Route,
    envelope: PipelineEnvelope,
    priority?: Priority,
    opts?: PublishOptions,
  ): Promise<void>;
  subscribe<E extends PipelineEnvelope>(
    route: Route,
    handler: QueueHandler<E>,
    opts: SubscribeOptions,
  ): QueueSubscription;
  /** Stores a dead letter for `msg` (also used by the engine's error policy) and returns it. */
  deadLetter(msg: QueueMessage, failure: DeadLetterFailure): Promise<DeadLetterEnvelope>;
  /** Republishes a dead letter to its source route and priority with attempt 0 and deletes it; false if unknown. */
  requeueDeadLetter(id: string): Promise<boolean>;
  readonly dlq: DeadLetterStore;
  /** Stops new deliveries (in-flight handlers finish); publishes are still accepted. */
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  /** Messages waiting for delivery. */
  depth(route?: Route, priority?: Priority): number;
  /** Messages delivered and not yet acked or nacked. */
  inflight(route?: Route): number;
  /** Resolves once nothing waits, is in flight, backs off or blocks a publisher. */
  onIdle?(): Promise<void>;
  /** Stops delivering and resolves when in-flight handlers have settled. */
  /**
   * Durable backends: the messages found at open, handed over once so the engine can rebuild the state of the runs
   * they belong to before delivery starts.
   */
  takeRecoveredEnvelopes?(): PipelineEnvelope[];
  /**
   * True when writes commit in the order they are issued (publishes, acks): a handler may then return before its
   * downstream publishes commit, and its ack still cannot land without them. In-memory and durable local queues.
   */
  readonly orderedWrites?: boolean;
  /** Durable backends: where the engine persists run state. */
  readonly stateStore?: QueueStateStore;
  /** Distributed backends: decides which worker group's topics carry each publish (node placement). */
  setWorkerGroupResolver?(resolve: WorkerGroupResolver): void;
  /**
   * Distributed backends: from now on every handled message is reported on the status topic, and `onReport` gets
   * the reports of runs for which `wants(runId)` is true (from every process). Resolves once reports published after
   * the call are sure to be seen.
   */
  watchWork?(
    wants: (runId: string) => boolean,
    onReport: (report: WorkReport) => void,
  ): Promise<WorkReportWatch>;
  /** Adds counters to the report of the message being handled; does nothing outside a handler. */
  addToWorkReport?(counters: Record<string, number>): void;
  close(): Promise<void>;
}

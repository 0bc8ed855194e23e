import type { Admin, Kafka, Message, Producer } from 'kafkajs';
import { createQueueCodec } from '../codec/create-queue-codec.js';
import type { QueueCodec, QueueCodecName } from '../codec/queue-codec.js';
import type { DeadLetterStore } from '../dlq/dead-letter.store.js';
import {
  PRIORITIES,
  ROUTES,
  type DeadLetterEnvelope,
  type NodeDispatchEnvelope,
  type PipelineEnvelope,
  type Priority,
  type Route,
} from '../envelope.js';
import { QueueClosedError } from '../local/queue-closed.error.js';
import { buildDeadLetter, errorKindOf, reasonOf, requeueFromDeadLetterStore } from '../queue-failure.js';
import { PRIORITY_SET } from '../local/route-delivery.js';
import type {
  DeadLetterFailure,
  PublishOptions,
  QueueHandler,
  QueueManager,
  QueueMessage,
  QueueSubscription,
  SubscribeOptions,
  WorkReport,
  WorkReportWatch,
  WorkerGroupResolver,
} from '../queue-manager.js';
import { KafkaBatchPublisher } from './kafka-batch.publisher.js';
import { createKafkaClient, loadKafkajs, type KafkaConnectionOptions } from './kafka-client.factory.js';
import { KafkaDeadLetterStore } from './kafka-dead-letter.store.js';
import { HEADER_ATTEMPT, HEADER_ID } from './kafka-headers.js';
import {
  KafkaRouteSubscription,
  type KafkaDelivery,
  type KafkaSubscriptionHost,
  type NackOutcome,
} from './kafka-route.subscription.js';
import {
  PLACED_ROUTES,
  checkWorkerGroupName,
  ensureTopics,
  ensureWorkerGroupTopics,
  routeGroupId,
  routeTopic,
} from './kafka-topics.js';
import { KafkaWorkReports } from './kafka-work-reports.js';

export interface KafkaQueueManagerOptions extends KafkaConnectionOptions {
  namespace: string;
  /** `channel_config.queue_codec` (default msgpack); every node of the namespace must use the same one. */
  codec?: QueueCodecName | 'rmp';
  /** `channel_config.capacity`: upper bound of the records a subscription buffers in memory. */
  capacity: number;
  nackMaxRetries: number;
  nackBackoffMs: number;
  /** `channel_config.minid_time`: retention of created route topics in hours; 0 = broker default. */
  retentionHours?: number;
  /** Partitions of created route topics (default 4): the most processes that can share one route. */
  partitions?: number;
  /**
   * Records one subscription buffers before it pauses fetching (default max(256, 4 × concurrency), ≤ capacity); it
   * may exceed this by one fetch response.
   */
  bufferLimit?: number;
  /** Producer linger in ms (default 0: the publishes of one event-loop turn go out together). */
  lingerMs?: number;
  /** Most records in one produce request (default 1000). */
  maxBatch?: number;
  /** Acked offsets are gathered this long into one commit (default 50). */
  commitIntervalMs?: number;
  /** Fetch long-poll wait (default 200). */
  maxWaitMs?: number;
  /** Most bytes one fetch returns (default 4 MiB): what a subscription may hold beyond bufferLimit. */
  fetchMaxBytes?: number;
  /** Most bytes per partition in one fetch (default 1 MiB; a larger first record batch still comes whole). */
  fetchMaxBytesPerPartition?: number;
  /** Consumer session timeout (default 10 s): how long a vanished process holds its partitions. */
  sessionTimeoutMs?: number;
  /** How old the cached consumer lag behind `depth()` may get before it is refreshed (default 1000). */
  depthRefreshMs?: number;
  /** Defaults to a KafkaDeadLetterStore on `{namespace}-dlq`. */
  dlq?: DeadLetterStore;
  /** Failures with no caller to report to. Default: console.error. */
  onError?: (err: unknown, context: string) => void;
}

/** A Kafka subscription; `ready()` resolves once its consumer has joined the route's group. */
export interface KafkaQueueSubscription extends QueueSubscription {
  ready(): Promise<void>;
}

const ROUTE_SET: ReadonlySet<string> = new Set(ROUTES);
const PLACED_ROUTE_SET: ReadonlySet<Route> = new Set(PLACED_ROUTES);

/**
 * FNV-1a over a dispatch's run, module, target node and input: a stable, well-spread partition choice. Undefined
 * when the input has no JSON form (the dispatch then goes wherever its key sends it).
 */
function dispatchPartitionHash(envelope: NodeDispatchEnvelope): number | undefined {
  let input: string;
  try {
    input = JSON.stringify(envelope.input) ?? '';
  } catch {
    return undefined;
  }
  const text = `${envelope.routing.runId}\u0000${envelope.routing.module}\u0000${envelope.targetNode}\u0000${input}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The pipeline's queues on Kafka: topic `{namespace}-{route}-{priority}`, one consumer group per route, envelopes
 * encoded with the configured codec, offsets committed only after the handler acks. See docs/kafka.md.
 *
 * Call `start()` (or use `KafkaQueueManager.create`) before publishing: it creates missing topics, connects the
 * producer and reads the DLQ topic into its index.
 */
export class KafkaQueueManager implements QueueManager, KafkaSubscriptionHost {
  readonly backend = 'kafka' as const;
  readonly dlq: DeadLetterStore;
  readonly namespace: string;
  readonly codec: QueueCodec;
  readonly kafka: Kafka;

  private readonly admin: Admin;
  private readonly producer: Producer;
  private readonly publisher: KafkaBatchPublisher;
  private readonly ownDlq: KafkaDeadLetterStore | undefined;
  private started: Promise<void> | undefined;
  private startedOk = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private pausedFlag = false;
  private subs: KafkaRouteSubscription[] = [];
  /** Nacked records waiting out their backoff: timer → republish now. */
  private readonly backingOff = new Map<ReturnType<typeof setTimeout>, () => void>();
  /** Uncommitted records per topic in its route's group (all processes), from the last refresh. */
  private readonly lag = new Map<string, number>();
  private lagRefreshedAt = 0;
  private lagRefresh: Promise<void> | undefined;
  private readonly changeWaiters = new Set<() => void>();
  private readonly reports: KafkaWorkReports;
  private resolveGroup: WorkerGroupResolver | undefined;
  /** Worker groups whose topics exist (or are being created), from publishing or consuming. */
  private readonly groupTopics = new Map<string, Promise<void>>();
  private readonly partitionCounts = new Map<string, number>();

  constructor(private readonly options: KafkaQueueManagerOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new RangeError(`capacity must be an integer >= 1, got ${options.capacity}`);
    }
    if (!Number.isInteger(options.nackMaxRetries) || options.nackMaxRetries < 0) {
      throw new RangeError(`nackMaxRetries must be an integer >= 0, got ${options.nackMaxRetries}`);
    }
    if (!(options.nackBackoffMs >= 0)) {
      throw new RangeError(`nackBackoffMs must be >= 0, got ${options.nackBackoffMs}`);
    }
    const partitions = options.partitions ?? 4;
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new RangeError(`partitions must be an integer >= 1, got ${partitions}`);
    }
    this.namespace = options.namespace;
    this.codec = createQueueCodec(options.codec ?? 'msgpack');
    this.kafka = createKafkaClient(options);
    this.admin = this.kafka.admin();
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: loadKafkajs().Partitioners.DefaultPartitioner,
    });
    this.publisher = new KafkaBatchPublisher(this.producer, {
      lingerMs: options.lingerMs ?? 0,
      maxBatch: options.maxBatch ?? 1000,
    });
    if (options.dlq === undefined) {
      this.ownDlq = new KafkaDeadLetterStore({
        kafka: this.kafka,
        namespace: this.namespace,
        codec: this.codec,
        producer: this.producer,
        onError: (err, context) => this.onError(err, `dlq: ${context}`),
      });
      this.dlq = this.ownDlq;
    } else {
      this.dlq = options.dlq;
    }
    this.reports = new KafkaWorkReports({
      kafka: this.kafka,
      namespace: this.namespace,
      send: (topic, message) => this.publisher.send(topic, message),
      onError: (err, context) => this.onError(err, context),
      maxWaitMs: options.maxWaitMs ?? 200,
    });
  }

  /** A started manager. */
  static async create(options: KafkaQueueManagerOptions): Promise<KafkaQueueManager> {
    const manager = new KafkaQueueManager(options);
    try {
      await manager.start();
    } catch (err) {
      await manager.close().catch(() => undefined);
      throw err;
    }
    return manager;
  }

  /** Creates missing topics, connects the producer and loads the DLQ index. Idempotent. */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.admin.connect();
      await ensureTopics(this.admin, {
        namespace: this.namespace,
        partitions: this.options.partitions ?? 4,
        retentionHours: this.options.retentionHours ?? 0,
      });
      await this.learnPartitions();
      await this.producer.connect();
      await this.ownDlq?.start();
      this.startedOk = true;
    })();
    return this.started;
  }

  get paused(): boolean {
    return this.pausedFlag;
  }

  publish(
    route: Route,
    envelope: PipelineEnvelope,
    priority?: Priority,
    _opts?: PublishOptions,
  ): Promise<void> {
    // `wait` is about in-memory capacity; Kafka holds the backlog on disk, so every publish simply waits for the
    // broker's acknowledgement (wait=false included: it cannot close a wait cycle between consumers).
    if (this.closed) return Promise.reject(new QueueClosedError(`publish to '${route}'`));
    if (!ROUTE_SET.has(route)) return Promise.reject(new Error(`unknown route '${String(route)}'`));
    const prio = priority ?? envelope.routing.priority;
    if (!PRIORITY_SET.has(prio)) {
      return Promise.reject(new Error(`publish to '${route}': unknown priority '${String(prio)}'`));
    }
    if (!this.reports.enabled) return this.send(route, prio, envelope, undefined, 0, _opts?.workId);
    const workId = _opts?.workId ?? this.reports.newWorkId();
    const sent = this.send(route, prio, envelope, undefined, 0, workId);
    if (_opts?.workId === undefined) this.reports.noteCreated(envelope, workId, sent);
    return sent;
  }

  setWorkerGroupResolver(resolve: WorkerGroupResolver): void {
    this.resolveGroup = resolve;
  }

  /**
   * Turns work reports on in this process (every handled message is reported on `{name}-status`) and watches the
   * reports of the runs `wants` accepts. Every process of a namespace that runs an engine calls it.
   */
  async watchWork(
    wants: (runId: string) => boolean,
    onReport: (report: WorkReport) => void,
  ): Promise<WorkReportWatch> {
    if (this.closed) throw new QueueClosedError('watch work reports');
    await this.start();
    this.reports.enable();
    return this.reports.watch(wants, onReport);
  }

  addToWorkReport(counters: Record<string, number>): void {
    if (this.reports.enabled) this.reports.addCounters(counters);
  }

  subscribe<E extends PipelineEnvelope>(
    route: Route,
    handler: QueueHandler<E>,
    opts: SubscribeOptions,
  ): KafkaQueueSubscription {
    if (this.closed) throw new QueueClosedError(`subscribe to '${route}'`);
    if (!ROUTE_SET.has(route)) throw new Error(`unknown route '${String(route)}'`);
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) {
      throw new RangeError(
        `subscribe to '${route}': concurrency must be an integer >= 1, got ${opts.concurrency}`,
      );
    }
    const group = opts.workerGroup;
    if (group !== undefined) {
      checkWorkerGroupName(group);
      if (!PLACED_ROUTE_SET.has(route)) {
        throw new Error(
          `subscribe to '${route}' for worker group '${group}': only ${PLACED_ROUTES.join(', ')} follow placement`,
        );
      }
    }
    const work = handler as QueueHandler<PipelineEnvelope>;
    const bufferLimit = Math.max(
      1,
      Math.min(this.options.capacity, this.options.bufferLimit ?? Math.max(256, 4 * opts.concurrency)),
    );
    const topicsReady =
      group === undefined ? this.start() : this.start().then(() => this.ensureGroupTopics(group));
    const sub = new KafkaRouteSubscription(this.kafka, this, topicsReady, {
      route,
      workerGroup: group,
      handler: (msg) => this.reports.handle(msg, work),
      concurrency: opts.concurrency,
      bufferLimit,
      commitIntervalMs: this.options.commitIntervalMs ?? 50,
      maxWaitMs: this.options.maxWaitMs ?? 200,
      sessionTimeoutMs: this.options.sessionTimeoutMs ?? 10_000,
      fetchMaxBytes: this.options.fetchMaxBytes ?? 4 * 1024 * 1024,
      fetchMaxBytesPerPartition: this.options.fetchMaxBytesPerPartition ?? 1024 * 1024,
    });
    this.subs = [...this.subs, sub];
    const ready = sub.ready();
    ready.catch((err: unknown) => this.onError(err, `consumer for '${route}' did not start`));
    let stopping: Promise<void> | undefined;
    return {
      ready: () => ready,
      stop: () => {
        stopping ??= sub.stop().finally(() => {
          this.subs = this.subs.filter((s) => s !== sub);
        });
        return stopping;
      },
    };
  }

  async deadLetter(msg: QueueMessage, failure: DeadLetterFailure): Promise<DeadLetterEnvelope> {
    const dl = buildDeadLetter(this.namespace, msg, failure, Date.now());
    await this.dlq.add(dl);
    return dl;
  }

  requeueDeadLetter(id: string): Promise<boolean> {
    // The store tombstones the record before the publish, so every process's index agrees.
    return requeueFromDeadLetterStore(this.dlq, id, (dl) =>
      this.publish(dl.sourceRoute, dl.payload, dl.sourcePriority, { wait: false }),
    );
  }

  pause(): void {
    this.pausedFlag = true;
  }

  resume(): void {
    if (!this.pausedFlag) return;
    this.pausedFlag = false;
    for (const sub of this.subs) sub.kick();
  }

  /**
   * Approximate: records buffered here, or the route group's uncommitted records minus those in flight here when
   * that is larger (the lag covers every process; it is refreshed in the background at most every depthRefreshMs).
   */
  depth(route?: Route, priority?: Priority): number {
    this.maybeRefreshLag();
    const routes = route === undefined ? ROUTES : [route];
    const priorities = priority === undefined ? PRIORITIES : [priority];
    let total = 0;
    for (const r of routes) {
      for (const group of this.groupsOf(r)) {
        for (const p of priorities) {
          let buffered = 0;
          let inflight = 0;
          for (const sub of this.subs) {
            if (sub.route !== r || sub.workerGroup !== group) continue;
            buffered += sub.buffered(p);
            inflight += sub.inflight(p);
          }
          const lag = this.lag.get(routeTopic(this.namespace, r, p, group)) ?? 0;
          total += Math.max(buffered, lag - inflight);
        }
      }
    }
    return total;
  }

  /** Records fetched into this process and not yet delivered (bounded by each subscription's buffer limit). */
  buffered(route?: Route): number {
    let n = 0;
    for (const sub of this.subs) if (route === undefined || sub.route === route) n += sub.buffered();
    return n;
  }

  inflight(route?: Route): number {
    let n = 0;
    for (const sub of this.subs) if (route === undefined || sub.route === route) n += sub.inflight();
    return n;
  }

  /** Throws if the cluster does not answer (used by the health endpoint). */
  async healthCheck(): Promise<void> {
    await this.start();
    await this.admin.describeCluster();
  }

  /**
   * Resolves once this process has nothing buffered, in flight, backing off, unpublished or uncommitted, and the
   * groups of the routes it consumes have no lag left.
   */
  async onIdle(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      if (this.locallyIdle()) {
        await this.refreshLag();
        let lag = 0;
        for (const sub of this.subs) {
          for (const topic of sub.topicPriorities.keys()) lag += this.lag.get(topic) ?? 0;
        }
        if (lag === 0 && this.locallyIdle()) return;
      }
      await this.nextChange(100);
    }
  }

  /** Stops delivering, lets in-flight handlers settle, commits their offsets and disconnects. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  /**
   * Simulates a crashed process (kill -9) for failover tests: consumers leave without committing anything more,
   * in-flight handlers are abandoned (their records go back to the group from the last commit), and nothing waits.
   */
  async crash(): Promise<void> {
    this.closed = true;
    for (const timer of this.backingOff.keys()) clearTimeout(timer);
    this.backingOff.clear();
    await Promise.all(this.subs.map((s) => s.abort()));
    this.subs = [];
    await this.reports.close();
    await this.ownDlq?.close();
    await this.producer.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
  }

  private async closeOnce(): Promise<void> {
    this.closed = true;
    // Backoffs are cut short so the retries are written (with their attempt count) before the offsets are committed.
    for (const [timer, fire] of this.backingOff) {
      clearTimeout(timer);
      fire();
    }
    this.backingOff.clear();
    await Promise.all(this.subs.map((s) => s.stop()));
    this.subs = [];
    await this.reports.close();
    await this.publisher.flush();
    await this.ownDlq?.close();
    await this.producer.disconnect().catch((err: unknown) => this.onError(err, 'producer disconnect'));
    await this.admin.disconnect().catch(() => undefined);
    this.changed();
  }

  // --- KafkaSubscriptionHost ---

  nack(delivery: KafkaDelivery, err: unknown): NackOutcome {
    const { msg } = delivery;
    if (msg.attempt < this.options.nackMaxRetries) {
      const done = new Promise<void>((resolve, reject) => {
        const fire = (): void => {
          this.send(msg.route, msg.priority, msg.envelope, msg.id, msg.attempt + 1, msg.workId).then(
            resolve,
            reject,
          );
        };
        if (this.options.nackBackoffMs > 0 && !this.closed) {
          const timer = setTimeout(() => {
            this.backingOff.delete(timer);
            fire();
          }, this.options.nackBackoffMs);
          this.backingOff.set(timer, fire);
        } else {
          fire();
        }
      });
      return { kind: 'retry', done };
    }
    const done = this.deadLetter(msg, {
      reason: reasonOf(err),
      errorKind: errorKindOf(err),
      attempt: msg.attempt + 1,
    }).then(() => this.reports.reportDone(msg));
    return { kind: 'dead_letter', done };
  }

  onError(err: unknown, context: string): void {
    if (this.options.onError) this.options.onError(err, context);
    else console.error(`[mocra] kafka queue (${this.namespace}): ${context}:`, err);
  }

  changed(): void {
    if (this.changeWaiters.size === 0) return;
    const waiters = [...this.changeWaiters];
    this.changeWaiters.clear();
    for (const wake of waiters) wake();
  }

  // --- internals ---

  /**
   * A first publish carries no headers (header encoding is a large share of kafkajs's produce cost); its message id
   * is then its position, `topic/partition/offset`, which a redelivery of the same record keeps. A retry carries the
   * original id and its attempt count.
   */
  private send(
    route: Route,
    priority: Priority,
    envelope: PipelineEnvelope,
    id: string | undefined,
    attempt: number,
    workId?: string,
  ): Promise<void> {
    let value: Buffer;
    let group: string | undefined;
    try {
      value = toBuffer(this.codec.encode(envelope));
      group = this.groupOf(route, envelope);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const topic = routeTopic(this.namespace, route, priority, group);
    // The key is the work id (a random-looking string, so records still spread over the partitions).
    const message: Message = { value };
    if (workId !== undefined) message.key = workId;
    if (id !== undefined) message.headers = { [HEADER_ID]: id, [HEADER_ATTEMPT]: String(attempt) };
    const dispatchHash = envelope.kind === 'node' ? dispatchPartitionHash(envelope) : undefined;
    const go = (): Promise<void> => {
      // The same dispatch (target node + input) always lands on the same partition, so it reaches the same consumer
      // while the group is stable, and that process's seen-set drops the repeat: dedup holds across processes.
      const partitions = this.partitionCounts.get(topic);
      if (dispatchHash !== undefined && partitions !== undefined)
        message.partition = dispatchHash % partitions;
      return this.publisher.send(topic, message);
    };
    if (group !== undefined) return this.ensureGroupTopics(group).then(go);
    if (this.startedOk) return go();
    return this.start().then(go);
  }

  /** Partition counts of the parser_task topics, for placing dispatches by their content. */
  private async learnPartitions(group?: string): Promise<void> {
    const topics = PRIORITIES.map((p) => routeTopic(this.namespace, 'parser_task', p, group));
    const { topics: meta } = await this.admin.fetchTopicMetadata({ topics });
    for (const t of meta) if (t.partitions.length > 0) this.partitionCounts.set(t.name, t.partitions.length);
  }

  /** The worker group whose topics carry this publish (node placement), or undefined for the default topics. */
  private groupOf(route: Route, envelope: PipelineEnvelope): string | undefined {
    if (this.resolveGroup === undefined || !PLACED_ROUTE_SET.has(route)) return undefined;
    const group = this.resolveGroup(route, envelope);
    if (group !== undefined) checkWorkerGroupName(group);
    return group;
  }

  private ensureGroupTopics(group: string): Promise<void> {
    let ready = this.groupTopics.get(group);
    if (ready === undefined) {
      ready = this.start()
        .then(() =>
          ensureWorkerGroupTopics(
            this.admin,
            {
              namespace: this.namespace,
              partitions: this.options.partitions ?? 4,
              retentionHours: this.options.retentionHours ?? 0,
            },
            group,
          ),
        )
        .then(() => this.learnPartitions(group));
      // A failed creation is tried again by the next publish rather than failing every later one.
      ready.catch(() => this.groupTopics.delete(group));
      this.groupTopics.set(group, ready);
    }
    return ready;
  }

  /** The default topics of a route and, for placed routes, the worker groups whose topics exist. */
  private groupsOf(route: Route): Array<string | undefined> {
    if (!PLACED_ROUTE_SET.has(route) || this.groupTopics.size === 0) return [undefined];
    return [undefined, ...this.groupTopics.keys()];
  }

  private locallyIdle(): boolean {
    if (this.backingOff.size > 0 || this.publisher.pending > 0) return false;
    for (const sub of this.subs) {
      if (sub.buffered() > 0 || sub.inflight() > 0 || sub.nacksPending > 0 || sub.uncommitted > 0)
        return false;
    }
    return true;
  }

  private nextChange(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.changeWaiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      this.changeWaiters.add(wake);
    });
  }

  private maybeRefreshLag(): void {
    if (this.closed || this.started === undefined) return;
    if (Date.now() - this.lagRefreshedAt < (this.options.depthRefreshMs ?? 1000)) return;
    this.refreshLag().catch((err: unknown) => this.onError(err, 'consumer lag refresh'));
  }

  /** Uncommitted records of every route topic in its route's group: high watermark − committed offset. */
  private refreshLag(): Promise<void> {
    this.lagRefresh ??= (async () => {
      try {
        await this.started;
        this.lagRefreshedAt = Date.now();
        const pairs = ROUTES.flatMap((route) => this.groupsOf(route).map((group) => ({ route, group })));
        await Promise.all(
          pairs.map(async ({ route, group }) => {
            const topics = PRIORITIES.map((p) => routeTopic(this.namespace, route, p, group));
            const [committed, ends] = await Promise.all([
              this.admin.fetchOffsets({ groupId: routeGroupId(this.namespace, route, group), topics }),
              Promise.all(topics.map((t) => this.admin.fetchTopicOffsets(t))),
            ]);
            topics.forEach((topic, i) => {
              const done = new Map<number, number>();
              for (const p of committed.find((c) => c.topic === topic)?.partitions ?? []) {
                done.set(p.partition, Number(p.offset));
              }
              let lag = 0;
              for (const end of ends[i] ?? []) {
                const c = done.get(end.partition) ?? -1;
                lag += Number(end.high) - (c >= 0 ? c : Number(end.low));
              }
              this.lag.set(topic, Math.max(0, lag));
            });
          }),
        );
      } finally {
        this.lagRefresh = undefined;
      }
    })();
    return this.lagRefresh;
  }
}

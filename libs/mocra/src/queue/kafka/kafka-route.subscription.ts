import type { Consumer, EachBatchPayload, IHeaders, Kafka } from 'kafkajs';
import type { QueueCodec } from '../codec/queue-codec.js';
import { PRIORITIES, type PipelineEnvelope, type Priority, type Route } from '../envelope.js';
import type { QueueHandler, QueueMessage } from '../queue-manager.js';
import { PriorityFifo } from '../local/priority-fifo.js';
import { HEADER_ID, headerAttempt, headerString } from './kafka-headers.js';
import { routeGroupId, routeTopic } from './kafka-topics.js';
import { PartitionOffsetTracker, type TrackedOffset } from './partition-offset.tracker.js';

/** One buffered or delivered record. */
export interface KafkaDelivery {
  readonly msg: QueueMessage<PipelineEnvelope>;
  readonly topic: string;
  readonly partition: number;
  readonly tracker: PartitionOffsetTracker;
  readonly entry: TrackedOffset;
}

/** What a nack turned into: a retry frees the handler slot at once, a dead letter once it is stored. */
export interface NackOutcome {
  kind: 'retry' | 'dead_letter';
  /** Resolves when the original record may be committed (republished or dead-lettered). */
  done: Promise<void>;
}

/** The manager's side of a subscription. */
export interface KafkaSubscriptionHost {
  readonly namespace: string;
  readonly codec: QueueCodec;
  readonly paused: boolean;
  nack(delivery: KafkaDelivery, err: unknown): NackOutcome;
  onError(err: unknown, context: string): void;
  /** A delivery settled or was dropped: the manager re-checks onIdle/close waiters. */
  changed(): void;
}

export interface KafkaRouteSubscriptionOptions {
  route: Route;
  /** Consume this worker group's topics of the route (node placement) instead of the default ones. */
  workerGroup?: string;
  handler: QueueHandler<PipelineEnvelope>;
  concurrency: number;
  /** Records buffered in this process (fetched, not yet delivered) before fetching pauses. */
  bufferLimit: number;
  /** How long commits of acked records are gathered into one request. */
  commitIntervalMs: number;
  /** Broker long-poll wait of a fetch; also how soon a resumed partition is fetched again. */
  maxWaitMs: number;
  sessionTimeoutMs: number;
  /** Consumer fetch size limits (bytes): with bufferLimit they bound the memory a subscription holds. */
  fetchMaxBytes: number;
  fetchMaxBytesPerPartition: number;
}

const RESOLVED: Promise<void> = Promise.resolve();

/** Commit refusals that only mean the group is rebalancing (or this member's generation ended). */
const REBALANCE_ERRORS: ReadonlySet<string> = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'NOT_COORDINATOR_FOR_GROUP',
  'COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
]);

function isRebalanceError(err: unknown): boolean {
  for (let e: unknown = err; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && REBALANCE_ERRORS.has(type)) return true;
  }
  return false;
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/**
 * One `subscribe()`: a kafkajs consumer in the route's group, subscribed to its three priority topics.
 *
 * Fetched batches go into a local PriorityFifo (the local backend's, so priority order and anti-starvation behave
 * the same) and are delivered from it, high first, at most `concurrency` at a time. Backpressure: a batch that
 * arrives while the buffer holds `bufferLimit` records waits inside eachBatch, which holds kafkajs's fetch loop
 * (nothing more is fetched, records stay in Kafka), until delivery has drained the buffer below half; the buffer thus
 * exceeds the limit by at most one fetch response (bounded by fetchMaxBytes). Priority of fetching: while high
 * records fill half the buffer, batches of the normal and low topics are left unresolved and their topics paused
 * (low alone while high + normal do), so a backlog of high work is fetched ahead of lower work.
 *
 * autoCommit is off; a record's offset becomes committable when its handler acks (or its retry / dead letter is
 * written), and the commit point of a partition is its lowest record not yet done.
 */
export class KafkaRouteSubscription {
  readonly consumer: Consumer;
  private readonly topics = new Map<string, Priority>();
  private readonly buffer = new PriorityFifo<KafkaDelivery>();
  private readonly bufferedByPriority: Record<Priority, number> = { high: 0, normal: 0, low: 0 };
  private readonly trackers = new Map<string, PartitionOffsetTracker>();
  /** Topics this subscription paused: all when the buffer is full, lower priorities while higher ones wait. */
  private readonly pausedTopics = new Set<string>();
  private readonly half: number;
  private inflightCount = 0;
  private readonly inflightByPriority: Record<Priority, number> = { high: 0, normal: 0, low: 0 };
  /** Nacks whose retry or dead letter is still being written (their record is not committable yet). */
  private pendingNacks = 0;
  private active = true;
  private aborted = false;
  private started: Promise<void>;
  private running = false;
  private drainScheduled = false;
  /** The fetch loop waiting in admit() for the buffer to drain below half. */
  private roomWaiters: Array<() => void> = [];
  private commitTimer: ReturnType<typeof setTimeout> | undefined;
  private committing: Promise<void> = RESOLVED;
  private settledWaiters: Array<() => void> = [];

  constructor(
    kafka: Kafka,
    private readonly host: KafkaSubscriptionHost,
    /** Resolves when the topics exist (the manager has started). */
    topicsReady: Promise<void>,
    private readonly options: KafkaRouteSubscriptionOptions,
  ) {
    this.half = Math.max(1, Math.floor(options.bufferLimit / 2));
    for (const priority of PRIORITIES)
      this.topics.set(routeTopic(host.namespace, options.route, priority, options.workerGroup), priority);
    this.consumer = kafka.consumer({
      groupId: routeGroupId(host.namespace, options.route, options.workerGroup),
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: Math.max(100, Math.floor(options.sessionTimeoutMs / 5)),
      rebalanceTimeout: Math.max(options.sessionTimeoutMs, 10_000),
      maxWaitTimeInMs: options.maxWaitMs,
      maxBytes: options.fetchMaxBytes,
      maxBytesPerPartition: options.fetchMaxBytesPerPartition,
      allowAutoTopicCreation: false,
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      if (!event.payload.restart)
        this.host.onError(event.payload.error, `consumer of '${options.route}' stopped`);
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) =>
      this.onGroupJoin(event.payload.memberAssignment),
    );
    this.started = topicsReady.then(() => this.start());
  }

  get route(): Route {
    return this.options.route;
  }

  get workerGroup(): string | undefined {
    return this.options.workerGroup;
  }

  /** The topics this subscription consumes, with their priority. */
  get topicPriorities(): ReadonlyMap<string, Priority> {
    return this.topics;
  }

  /** Resolves once the consumer runs (it joins the group in the background); rejects if it could not start. */
  ready(): Promise<void> {
    return this.started;
  }

  inflight(priority?: Priority): number {
    return priority === undefined ? this.inflightCount : this.inflightByPriority[priority];
  }

  /** Retries and dead letters of nacked records still being written. */
  get nacksPending(): number {
    return this.pendingNacks;
  }

  buffered(priority?: Priority): number {
    return priority === undefined ? this.buffer.size : this.bufferedByPriority[priority];
  }

  /** Acked records whose commit has not reached the broker yet, and records still outstanding. */
  get uncommitted(): number {
    let n = 0;
    for (const t of this.trackers.values()) n += t.outstanding + (t.commitPoint() > t.committed ? 1 : 0);
    return n;
  }

  /** Delivery may continue: called by the manager on resume. */
  kick(): void {
    this.scheduleDrain();
  }

  /** No new deliveries; in-flight handlers finish and are committed; the consumer leaves the group. */
  async stop(): Promise<void> {
    this.active = false;
    this.discardBuffer();
    this.maybeResume();
    await this.started.catch(() => undefined);
    if (this.inflightCount + this.pendingNacks > 0) {
      await new Promise<void>((resolve) => this.settledWaiters.push(resolve));
    }
    await this.flushCommits();
    await this.consumer.disconnect().catch((err: unknown) => this.host.onError(err, 'consumer disconnect'));
    this.host.changed();
  }

  /**
   * Leaves like a crashed process: nothing more is committed, in-flight handlers are abandoned, and the records they
   * hold are redelivered to the group from the last commit.
   */
  async abort(): Promise<void> {
    this.active = false;
    this.aborted = true;
    this.discardBuffer();
    this.maybeResume();
    if (this.commitTimer !== undefined) clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    this.trackers.clear();
    await this.started.catch(() => undefined);
    await this.consumer.disconnect().catch(() => undefined);
    this.host.changed();
  }

  private async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.topics.keys()], fromBeginning: true });
    if (!this.active) return;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.admit(payload),
    });
    this.running = true;
  }

  private async admit({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    if (!this.active) return;
    const { topic, partition } = batch;
    const priority = this.topics.get(topic);
    if (priority === undefined) return;
    if (this.buffer.size >= this.options.bufferLimit) {
      // Full: hold kafkajs's fetch loop here (nothing more is fetched) until delivery frees half the buffer. Pausing
      // every topic instead would cost a whole fetch wait (maxWaitMs) per refill, since kafkajs sleeps that long when
      // no partition is fetchable. heartbeat() keeps the membership alive and throws when the group rebalances.
      await this.waitForRoom(heartbeat, isRunning);
      if (!this.active || !isRunning() || isStale()) return;
    }
    if (!this.admits(priority)) {
      // Higher priorities fill half the buffer: leave this batch unresolved (fetched again after resume).
      this.pauseTopics([topic]);
      return;
    }
    const key = partitionKey(topic, partition);
    let tracker = this.trackers.get(key);
    // The whole batch is taken: it is already fetched and decoded, and refetching a partial one would cost more
    // than holding it (the overshoot is bounded by the consumer's fetch size).
    for (const record of batch.messages) {
      const offset = Number(record.offset);
      if (tracker !== undefined && offset < tracker.next) {
        // Refetched after a rebalance (kafkajs restarts from the committed offset) and already held here: move the
        // fetch position past it, or a batch of nothing but these would be fetched again and again.
        resolveOffset(record.offset);
        continue;
      }
      if (!isRunning() || isStale()) break;
      if (tracker === undefined) {
        tracker = new PartitionOffsetTracker(topic, partition, offset);
        this.trackers.set(key, tracker);
      }
      const entry = tracker.admit(offset);
      resolveOffset(record.offset);
      const msg = this.toMessage(
        record.value,
        record.key,
        record.headers,
        record.timestamp,
        priority,
        topic,
        partition,
        offset,
      );
      if (msg === undefined) {
        // Undecodable: it can never be delivered, and holding it would stop the partition's commits forever.
        if (tracker.complete(entry)) this.scheduleCommit();
        continue;
      }
      this.buffer.push(priority, { msg, topic, partition, tracker, entry });
      this.bufferedByPriority[priority]++;
    }
    if (this.bufferedByPriority.high >= this.half) this.pauseLower('normal');
    else if (this.bufferedByPriority.high + this.bufferedByPriority.normal >= this.half)
      this.pauseLower('low');
    // After the whole fetch response is admitted, so its high records are delivered before its low ones.
    if (!this.drainScheduled && this.buffer.size > 0) {
      this.drainScheduled = true;
      setImmediate(() => this.drain());
    }
  }

  private async waitForRoom(heartbeat: () => Promise<void>, isRunning: () => boolean): Promise<void> {
    const interval = Math.max(100, Math.floor(this.options.sessionTimeoutMs / 5));
    while (this.active && isRunning() && this.buffer.size >= this.half) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, interval);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.roomWaiters.push(done);
      });
      await heartbeat();
    }
  }

  private toMessage(
    value: Buffer | null,
    key: Buffer | null,
    headers: IHeaders | undefined,
    timestamp: string,
    priority: Priority,
    topic: string,
    partition: number,
    offset: number,
  ): QueueMessage<PipelineEnvelope> | undefined {
    if (value === null) {
      this.host.onError(
        new Error('record without a value'),
        `skipped record ${topic}/${partition}/${offset}`,
      );
      return undefined;
    }
    try {
      const envelope = this.host.codec.decode(value);
      if (envelope.kind === 'dead_letter') throw new Error('a dead letter on a route topic');
      const msg: QueueMessage<PipelineEnvelope> = {
        id: headerString(headers, HEADER_ID) ?? `${topic}/${partition}/${offset}`,
        route: this.options.route,
        priority,
        envelope,
        attempt: headerAttempt(headers),
        enqueuedAtMs: Number(timestamp),
      };
      // The record key is the work id (cross-process run completion); records without one are not tracked.
      if (key !== null && key.length > 0) msg.workId = key.toString('utf8');
      return msg;
    } catch (err) {
      this.host.onError(err, `skipped undecodable record ${topic}/${partition}/${offset}`);
      return undefined;
    }
  }

  /** Whether a batch of `priority` may enter the buffer now. */
  private admits(priority: Priority): boolean {
    if (this.buffer.size >= this.options.bufferLimit) return false;
    if (priority === 'high') return true;
    const higher =
      priority === 'normal'
        ? this.bufferedByPriority.high
        : this.bufferedByPriority.high + this.bufferedByPriority.normal;
    return higher < this.half;
  }

  /** Pauses the topics below `from` (normal: normal and low). */
  private pauseLower(from: Priority): void {
    const lower: string[] = [];
    for (const [topic, priority] of this.topics) {
      if (priority === 'low' || (from === 'normal' && priority === 'normal')) lower.push(topic);
    }
    this.pauseTopics(lower);
  }

  private pauseTopics(topics: string[]): void {
    const fresh = topics.filter((t) => !this.pausedTopics.has(t));
    if (fresh.length === 0 || !this.running) return;
    for (const t of fresh) this.pausedTopics.add(t);
    this.consumer.pause(fresh.map((topic) => ({ topic })));
  }

  /** Wakes a fetch loop waiting for room, and resumes paused topics whose priority may be admitted again. */
  private maybeResume(): void {
    if (this.roomWaiters.length > 0 && (this.buffer.size < this.half || !this.active)) {
      const waiters = this.roomWaiters;
      this.roomWaiters = [];
      for (const wake of waiters) wake();
    }
    if (this.pausedTopics.size === 0 || !this.active || !this.running) return;
    const resumable = [...this.pausedTopics].filter((t) => this.admits(this.topics.get(t) ?? 'low'));
    if (resumable.length === 0) return;
    for (const t of resumable) this.pausedTopics.delete(t);
    this.consumer.resume(resumable.map((topic) => ({ topic })));
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(() => this.drain());
  }

  private drain(): void {
    this.drainScheduled = false;
    while (this.active && !this.host.paused && this.inflightCount < this.options.concurrency) {
      const delivery = this.buffer.pop();
      if (delivery === undefined) break;
      this.bufferedByPriority[delivery.msg.priority]--;
      this.deliver(delivery);
    }
    this.maybeResume();
  }

  private deliver(delivery: KafkaDelivery): void {
    this.inflightCount++;
    this.inflightByPriority[delivery.msg.priority]++;
    let result: Promise<void>;
    try {
      result = Promise.resolve(this.options.handler(delivery.msg));
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      () => {
        this.complete(delivery);
        this.release(delivery);
      },
      (err: unknown) => this.nack(delivery, err),
    );
  }

  private nack(delivery: KafkaDelivery, err: unknown): void {
    if (this.aborted) {
      this.release(delivery); // the record is redelivered from the last commit
      return;
    }
    const outcome = this.host.nack(delivery, err);
    this.pendingNacks++;
    if (outcome.kind === 'retry') this.release(delivery);
    const finish = (): void => {
      this.pendingNacks--;
      if (outcome.kind === 'dead_letter') this.release(delivery);
      else this.notifySettled();
    };
    outcome.done.then(
      () => {
        this.complete(delivery);
        finish();
      },
      (failure: unknown) => {
        // Left uncommitted: the record is redelivered after a restart or rebalance rather than lost.
        this.host.onError(failure, `nack of ${delivery.msg.id} on '${this.options.route}' not written`);
        finish();
      },
    );
  }

  private complete(delivery: KafkaDelivery): void {
    // A tracker replaced or dropped by a rebalance (or an abort) belongs to another owner now: never commit for it.
    if (this.trackers.get(partitionKey(delivery.topic, delivery.partition)) !== delivery.tracker) return;
    if (delivery.tracker.complete(delivery.entry)) this.scheduleCommit();
  }

  private release(delivery: KafkaDelivery): void {
    this.inflightCount--;
    this.inflightByPriority[delivery.msg.priority]--;
    this.notifySettled();
    this.scheduleDrain();
    this.host.changed();
  }

  private notifySettled(): void {
    if (this.inflightCount + this.pendingNacks === 0 && this.settledWaiters.length > 0) {
      const waiters = this.settledWaiters;
      this.settledWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private scheduleCommit(delayMs = this.options.commitIntervalMs): void {
    if (this.commitTimer !== undefined) return;
    this.commitTimer = setTimeout(() => {
      this.commitTimer = undefined;
      void this.flushCommits();
    }, delayMs);
  }

  /** Commits every partition whose commit point moved; one commit request at a time. */
  private flushCommits(): Promise<void> {
    if (this.commitTimer !== undefined) {
      clearTimeout(this.commitTimer);
      this.commitTimer = undefined;
    }
    this.committing = this.committing.then(async () => {
      const moved: Array<{ tracker: PartitionOffsetTracker; point: number }> = [];
      for (const tracker of this.trackers.values()) {
        const point = tracker.commitPoint();
        if (point > tracker.committed) moved.push({ tracker, point });
      }
      if (moved.length === 0 || !this.running) return;
      try {
        await this.consumer.commitOffsets(
          moved.map(({ tracker, point }) => ({
            topic: tracker.topic,
            partition: tracker.partition,
            offset: String(point),
          })),
        );
        for (const { tracker, point } of moved) tracker.committed = Math.max(tracker.committed, point);
      } catch (err) {
        // A rebalance in progress rejects commits. Partitions still ours are committed again shortly (lost ones
        // are dropped at the rejoin); until then the group would resume from the last good commit: replay, no loss.
        if (!isRebalanceError(err)) {
          this.host.onError(
            err,
            `offset commit for group '${routeGroupId(this.host.namespace, this.options.route, this.options.workerGroup)}'`,
          );
        }
        if (this.active) this.scheduleCommit(this.options.commitIntervalMs * 10);
      }
      this.host.changed();
    });
    return this.committing;
  }

  /** After every (re)join: forget partitions now owned by someone else, keep state for the ones still ours. */
  private onGroupJoin(assignment: Record<string, number[]>): void {
    const owned = new Set<string>();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) owned.add(partitionKey(topic, partition));
    }
    let lost = false;
    for (const key of this.trackers.keys()) {
      if (!owned.has(key)) {
        this.trackers.delete(key);
        lost = true;
      }
    }
    if (lost) {
      for (const delivery of this.buffer.drain()) {
        if (this.trackers.get(partitionKey(delivery.topic, delivery.partition)) === delivery.tracker) {
          this.buffer.push(delivery.msg.priority, delivery);
        } else {
          this.bufferedByPriority[delivery.msg.priority]--;
        }
      }
    }
    this.running = true;
    // kafkajs keeps pauses across a rebalance but not across a consumer restart after a crash: start from a known
    // state (everything fetchable); batches that may not enter are paused again as they arrive.
    if (this.pausedTopics.size > 0) {
      const topics = [...this.pausedTopics];
      this.pausedTopics.clear();
      this.consumer.resume(topics.map((topic) => ({ topic })));
    }
    this.maybeResume();
    this.host.changed();
  }

  private discardBuffer(): void {
    this.buffer.drain();
    this.bufferedByPriority.high = 0;
    this.bufferedByPriority.normal = 0;
    this.bufferedByPriority.low = 0;
  }
}

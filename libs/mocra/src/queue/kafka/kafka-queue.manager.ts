import { Partitioners, type Admin, type Kafka, type Producer } from 'kafkajs';
import { createQueueCodec } from '../codec/create-queue-codec.js';
import type { QueueCodec, QueueCodecName } from '../codec/queue-codec.js';
import type { DeadLetterStore } from '../dlq/dead-letter.store.js';
import {
  PRIORITIES,
  ROUTES,
  type DeadLetterEnvelope,
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
} from '../queue-manager.js';
import { KafkaBatchPublisher } from './kafka-batch.publisher.js';
import { createKafkaClient, type KafkaConnectionOptions } from './kafka-client.factory.js';
import { KafkaDeadLetterStore } from './kafka-dead-letter.store.js';
import { HEADER_ATTEMPT, HEADER_ID } from './kafka-headers.js';
import {
  KafkaRouteSubscription,
  type KafkaDelivery,
  type KafkaSubscriptionHost,
  type NackOutcome,
} from './kafka-route.subscription.js';
import { ensureTopics, routeGroupId, routeTopic } from './kafka-topics.js';

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
      createPartitioner: Partitioners.DefaultPartitioner,
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
    return this.send(route, prio, envelope, undefined, 0);
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
    const bufferLimit = Math.max(
      1,
      Math.min(this.options.capacity, this.options.bufferLimit ?? Math.max(256, 4 * opts.concurrency)),
    );
    const sub = new KafkaRouteSubscription(this.kafka, this, this.start(), {
      route,
      handler: handler as QueueHandler<PipelineEnvelope>,
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
      for (const p of priorities) {
        let buffered = 0;
        let inflight = 0;
        for (const sub of this.subs) {
          if (sub.route !== r) continue;
          buffered += sub.buffered(p);
          inflight += sub.inflight(p);
        }
        const lag = this.lag.get(routeTopic(this.namespace, r, p)) ?? 0;
        total += Math.max(buffered, lag - inflight);
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
        const consumed = new Set(this.subs.map((s) => s.route));
        let lag = 0;
        for (const route of consumed) {
          for (const p of PRIORITIES) lag += this.lag.get(routeTopic(this.namespace, route, p)) ?? 0;
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
          this.send(msg.route, msg.priority, msg.envelope, msg.id, msg.attempt + 1).then(resolve, reject);
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
    }).then(() => undefined);
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
  ): Promise<void> {
    let value: Buffer;
    try {
      value = toBuffer(this.codec.encode(envelope));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const topic = routeTopic(this.namespace, route, priority);
    const message =
      id === undefined
        ? { value }
        : { value, headers: { [HEADER_ID]: id, [HEADER_ATTEMPT]: String(attempt) } };
    if (this.startedOk) return this.publisher.send(topic, message);
    return this.start().then(() => this.publisher.send(topic, message));
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
        await Promise.all(
          ROUTES.map(async (route) => {
            const topics = PRIORITIES.map((p) => routeTopic(this.namespace, route, p));
            const [committed, ends] = await Promise.all([
              this.admin.fetchOffsets({ groupId: routeGroupId(this.namespace, route), topics }),
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

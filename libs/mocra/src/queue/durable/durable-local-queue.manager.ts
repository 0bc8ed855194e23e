import { randomUUID } from 'node:crypto';
import { MsgpackQueueCodec } from '../codec/msgpack.codec.js';
import type { DeadLetterStore } from '../dlq/dead-letter.store.js';
import { LevelDeadLetterStore } from '../dlq/level-dead-letter.store.js';
import {
  ROUTES,
  type DeadLetterEnvelope,
  type PipelineEnvelope,
  type Priority,
  type Route,
} from '../envelope.js';
import type { LocalQueueManagerOptions } from '../local/local-queue.manager.js';
import {
  DELIVERIES_PER_TURN,
  PRIORITY_SET,
  RESOLVED,
  RouteState as SharedRouteState,
  Subscriber,
} from '../local/route-delivery.js';
import { buildDeadLetter, errorKindOf, reasonOf, requeueFromDeadLetterStore } from '../queue-failure.js';
import { QueueClosedError } from '../local/queue-closed.error.js';
import type {
  DeadLetterFailure,
  PublishOptions,
  QueueHandler,
  QueueManager,
  QueueMessage,
  QueueSubscription,
  SubscribeOptions,
} from '../queue-manager.js';
import { DURABLE_FORMAT, DURABLE_SUBLEVELS, META_KEYS } from './durable-layout.js';
import { DurableStateStore } from './durable-state.store.js';
import { decodeLease, encodeLease } from './lease-record.codec.js';
import {
  delOp,
  LevelWriteBatcher,
  putOp,
  type LevelDb,
  type LevelSublevel,
  type LevelWriteOp,
} from './level-write-batcher.js';
import { decodeMessageKey, decodeSeq, encodeMessageKey, encodeSeq } from './message-key.js';
import { decodeMessageRecord, encodeMessageRecord } from './message-record.codec.js';
import { describeLevelError, isCorruption, openLevelDb, repairLevelDb } from './open-level-db.js';

export interface DurableLocalQueueManagerOptions extends Omit<LocalQueueManagerOptions, 'dlq'> {
  /** Directory of the classic-level database (created if missing). One process may open it at a time. */
  path: string;
  /**
   * fsync every batch (default false). Off, a publish resolves once its batch is in LevelDB's log in the OS page
   * cache: that survives the process dying (kill -9, OOM, a crash) but not a power loss or kernel panic. On, it
   * survives those too, at the price of one fsync per batch.
   */
  sync?: boolean;
  /** Lease length recorded with each delivery (default 5 minutes); see lease-record.codec.ts. */
  leaseMs?: number;
  /** Default: a LevelDeadLetterStore in this database, so a dead letter and its queue delete commit together. */
  dlq?: DeadLetterStore;
  /** The startup report (what was recovered and quarantined). Default: console.info. */
  onReport?: (line: string) => void;
}

/** What `open` found in the database. */
export interface DurableRecoveryReport {
  /** Messages waiting for delivery (or backing off) at open. */
  recovered: number;
  /** Of those, messages a previous process had leased and never acked. */
  leasesReturned: number;
  /** Of those, nacked messages still inside their backoff. */
  backingOff: number;
  /** Records moved to the quarantine sublevel at this open. */
  quarantined: number;
  /** Why each quarantined record was moved, by original key (hex); the first 1000. */
  quarantineReasons: Array<{ key: string; reason: string }>;
}

type Message = QueueMessage<PipelineEnvelope>;

/** A queued message and its current record key. The message object is what handlers receive. */
interface Entry {
  msg: Message;
  key: Buffer;
  originSeq: number;
  lease: LeaseState;
}

/**
 * A lease is written when the batch after its delivery is sealed, and only if the message is still in flight
 * then: a handler that settles within the turn (parsers) costs no lease put and delete. Crash-wise nothing
 * changes: a message with no lease on disk is pending on disk, which is what a restart makes of a lease anyway.
 */
enum LeaseState {
  None,
  Due,
  Written,
}

type RouteState = SharedRouteState<Entry, BlockedPublish>;

interface BlockedPublish {
  envelope: PipelineEnvelope;
  bytes: Uint8Array;
  priority: Priority;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface Sublevels {
  queue: LevelSublevel;
  lease: LevelSublevel;
  meta: LevelSublevel;
  quarantine: LevelSublevel;
  state: LevelSublevel;
  sets: LevelSublevel;
  dlq: LevelSublevel;
}

interface Recovered {
  entries: Array<{ entry: Entry; notBeforeMs: number }>;
  nextSeq: number;
  dbId: string;
  report: DurableRecoveryReport;
}

const DEFAULT_LEASE_MS = 5 * 60_000;
/** Quarantined records described in the recovery report (all are counted). */
const MAX_REPORTED_REASONS = 1000;

function checkOptions(options: DurableLocalQueueManagerOptions): void {
  if (!Number.isInteger(options.capacity) || options.capacity < 1) {
    throw new RangeError(`capacity must be an integer >= 1, got ${options.capacity}`);
  }
  if (!Number.isInteger(options.nackMaxRetries) || options.nackMaxRetries < 0) {
    throw new RangeError(`nackMaxRetries must be an integer >= 0, got ${options.nackMaxRetries}`);
  }
  if (!(options.nackBackoffMs >= 0)) {
    throw new RangeError(`nackBackoffMs must be >= 0, got ${options.nackBackoffMs}`);
  }
  if (options.leaseMs !== undefined && !(options.leaseMs > 0)) {
    throw new RangeError(`leaseMs must be > 0, got ${options.leaseMs}`);
  }
}

function openSublevels(db: LevelDb): Sublevels {
  const sub = (name: string): LevelSublevel =>
    db.sublevel<Buffer, Buffer>(name, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  return {
    queue: sub(DURABLE_SUBLEVELS.queue),
    lease: sub(DURABLE_SUBLEVELS.lease),
    meta: sub(DURABLE_SUBLEVELS.meta),
    quarantine: sub(DURABLE_SUBLEVELS.quarantine),
    state: sub(DURABLE_SUBLEVELS.state),
    sets: sub(DURABLE_SUBLEVELS.sets),
    dlq: sub(DURABLE_SUBLEVELS.dlq),
  };
}

const metaKey = (name: string): Buffer => Buffer.from(name, 'utf8');

/**
 * Reads the whole queue sublevel back into memory: the database was closed or its process died, so every record
 * is pending again, leased ones included. Unreadable records are moved to the quarantine sublevel (each move one
 * atomic batch) instead of failing the open.
 */
async function recover(db: LevelDb, subs: Sublevels, codec: MsgpackQueueCodec): Promise<Recovered> {
  const format = await subs.meta.get(metaKey(META_KEYS.format));
  if (format !== undefined && format.toString('utf8') !== String(DURABLE_FORMAT)) {
    throw new Error(
      `durable queue at ${db.location}: layout format ${format.toString('utf8')} is not the supported ${DURABLE_FORMAT}`,
    );
  }
  let dbId = (await subs.meta.get(metaKey(META_KEYS.dbId)))?.toString('utf8');
  const setup: LevelWriteOp[] = [];
  if (dbId === undefined) {
    dbId = randomUUID();
    setup.push(putOp(subs.meta, metaKey(META_KEYS.dbId), Buffer.from(dbId)));
    setup.push(putOp(subs.meta, metaKey(META_KEYS.format), Buffer.from(String(DURABLE_FORMAT))));
  }
  const storedSeq = await subs.meta.get(metaKey(META_KEYS.seq));
  let nextSeq = storedSeq !== undefined && storedSeq.length === 8 ? decodeSeq(storedSeq) : 0;

  const leased = new Set<string>();
  for await (const [key, value] of subs.lease.iterator()) {
    // Every lease on disk is a dead process's: LevelDB lets one process at a time open the database.
    if (decodeLease(value) !== undefined) leased.add(key.toString('latin1'));
    setup.push(delOp(subs.lease, key));
  }

  const report: DurableRecoveryReport = {
    recovered: 0,
    leasesReturned: 0,
    backingOff: 0,
    quarantined: 0,
    quarantineReasons: [],
  };
  const entries: Recovered['entries'] = [];
  const now = Date.now();
  for await (const [key, value] of subs.queue.iterator()) {
    let reason: string;
    const parsed = decodeMessageKey(key);
    if (typeof parsed === 'string') {
      reason = `bad key: ${parsed}`;
    } else {
      try {
        const record = decodeMessageRecord(value, codec);
        const msg: Message = {
          id: `${dbId}-${record.originSeq.toString(36)}`,
          route: parsed.route,
          priority: parsed.priority,
          envelope: record.envelope,
          attempt: record.attempt,
          enqueuedAtMs: record.enqueuedAtMs,
        };
        entries.push({
          entry: { msg, key, originSeq: record.originSeq, lease: LeaseState.None },
          notBeforeMs: record.notBeforeMs,
        });
        nextSeq = Math.max(nextSeq, parsed.seq + 1, record.originSeq + 1);
        report.recovered++;
        if (leased.has(key.toString('latin1'))) report.leasesReturned++;
        if (record.notBeforeMs > now) report.backingOff++;
        continue;
      } catch (err) {
        reason = `bad record: ${(err as Error).message}`;
      }
    }
    report.quarantined++;
    if (report.quarantineReasons.length < MAX_REPORTED_REASONS) {
      report.quarantineReasons.push({ key: key.toString('hex'), reason });
    }
    // Quarantine key: time of the move, then the original key (a bad key may recur in a later open).
    const movedKey = Buffer.concat([encodeSeq(now), key]);
    const moved = Buffer.concat([Buffer.from(`${reason}\n`, 'utf8'), value]);
    await db.batch([delOp(subs.queue, key), putOp(subs.quarantine, movedKey, moved)]);
  }
  if (setup.length > 0) await db.batch(setup);
  return { entries, nextSeq, dbId, report };
}

/**
 * LocalQueueManager's semantics (capacity and blocked publishers, per-subscription concurrency, priorities with
 * the starvation limit, nack with backoff then dead letter, pause, close) over a classic-level database, so a
 * restart loses no message that was published and not acked.
 *
 * Records live in the `queue` sublevel under (route, priority, sequence) keys. A message is pending (its record),
 * leased while a handler runs (plus a `lease` record: owner = this instance, deadline), deleted on ack. A nack
 * rewrites the record under a fresh sequence with attempt + 1 and its backoff deadline; a dead letter deletes it
 * in the same batch as the dead letter's put (with the default DLQ). Delivery is served from memory: the records
 * are read once at open, in key order, so each priority's FIFO order survives restarts.
 *
 * Durability: `publish` resolves once the record is committed (see `sync`). Acks, leases and nacks do not hold up
 * the handler; they commit with the next batch, in order. A crash thus loses at most acks of the last batch, whose
 * messages are delivered again: delivery is at-least-once, as everywhere in the pipeline.
 *
 * Group commit: the writes of one event-loop turn (publishes, acks, leases, DurableStateStore and dead letter
 * writes) go to LevelDB as one atomic batch; see LevelWriteBatcher and DurableStateStore.
 *
 * Memory: like the in-memory queue, every waiting message's envelope is held in memory (and delivered by
 * reference to messages published by this process; messages recovered at open are decoded copies).
 */
export class DurableLocalQueueManager implements QueueManager {
  readonly orderedWrites = true;

  readonly backend = 'local' as const;
  readonly dlq: DeadLetterStore;
  /** Durable key-value state and sets in this database, committed with the queue's writes. */
  readonly state: DurableStateStore;
  readonly recovery: DurableRecoveryReport;

  private readonly namespace: string;
  private readonly capacity: number;
  private readonly nackMaxRetries: number;
  private readonly nackBackoffMs: number;
  private readonly leaseMs: number;
  private readonly clock: () => number;
  private readonly onError: (err: unknown, context: string) => void;
  private readonly routes = new Map<Route, RouteState>();
  private readonly codec = new MsgpackQueueCodec();
  private readonly owner = Buffer.from(randomUUID(), 'utf8');
  private readonly sameDbDlq: LevelDeadLetterStore | undefined;
  private nextSeq: number;
  private seqDirty = false;
  private dueLeases: Entry[] = [];

  private turnDeliveries = 0;
  private pausedFlag = false;
  private closed = false;
  private dbClosing: Promise<void> | undefined;
  private totalDepth = 0;
  private totalInflight = 0;
  private totalBlocked = 0;
  private readonly backingOff = new Map<ReturnType<typeof setTimeout>, { state: RouteState; entry: Entry }>();
  private idleWaiters: Array<() => void> = [];
  private settledWaiters: Array<() => void> = [];

  private constructor(
    private readonly db: LevelDb,
    private readonly subs: Sublevels,
    private readonly writer: LevelWriteBatcher,
    private readonly dbId: string,
    recovered: Recovered,
    dlq: DeadLetterStore,
    options: DurableLocalQueueManagerOptions,
  ) {
    this.namespace = options.namespace;
    this.capacity = options.capacity;
    this.nackMaxRetries = options.nackMaxRetries;
    this.nackBackoffMs = options.nackBackoffMs;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.clock = options.clock ?? Date.now;
    this.onError =
      options.onError ??
      ((err, context) => console.error(`[mocra] durable queue (${this.namespace}): ${context}:`, err));
    this.dlq = dlq;
    this.sameDbDlq = dlq instanceof LevelDeadLetterStore && dlq.writer === writer ? dlq : undefined;
    this.state = new DurableStateStore(subs.state, subs.sets, writer);
    this.recoveredEnvelopes = recovered.entries.map((r) => r.entry.msg.envelope);
    this.recovery = recovered.report;
    this.nextSeq = recovered.nextSeq;
    for (const route of ROUTES)
      this.routes.set(route, new SharedRouteState<Entry, BlockedPublish>(route, options.starvationLimit));
    writer.onSeal((ops) => {
      if (!this.seqDirty) return;
      this.seqDirty = false;
      ops.push(putOp(subs.meta, metaKey(META_KEYS.seq), encodeSeq(this.nextSeq)));
    });
    writer.onSeal((ops) => {
      this.writeDueLeases(ops);
    });
    const now = Date.now();
    for (const { entry, notBeforeMs } of recovered.entries) {
      const state = this.routes.get(entry.msg.route) as RouteState;
      if (notBeforeMs > now) this.backOff(state, entry, notBeforeMs - now);
      else this.enqueue(state, entry);
    }
  }

  /** Opens (creating if needed) the queue at `options.path`, recovering what a previous process left. */
  static async open(options: DurableLocalQueueManagerOptions): Promise<DurableLocalQueueManager> {
    checkOptions(options);
    const report = options.onReport ?? ((line: string) => console.info(`[mocra] ${line}`));
    let db = await openLevelDb(options.path, 'durable queue', report);
    try {
      let subs = openSublevels(db);
      let recovered: Recovered;
      try {
        recovered = await recover(db, subs, new MsgpackQueueCodec());
      } catch (err) {
        // A damaged table block surfaces only when read: repair (dropping what cannot be read) and read again.
        if (!isCorruption(err)) throw err;
        report(
          `durable queue at ${options.path}: LevelDB reports corruption while recovering ` +
            `(${describeLevelError(err)}); repairing, records in damaged blocks are lost`,
        );
        await db.close();
        await repairLevelDb(options.path, 'durable queue');
        db = await openLevelDb(options.path, 'durable queue', report);
        subs = openSublevels(db);
        try {
          recovered = await recover(db, subs, new MsgpackQueueCodec());
        } catch (again) {
          throw new Error(
            `durable queue at ${options.path}: still unreadable after repair: ${describeLevelError(again)}`,
            { cause: again },
          );
        }
      }
      let onBatchError: (err: unknown) => void = () => {};
      const writer = new LevelWriteBatcher(db, { sync: options.sync, onError: (err) => onBatchError(err) });
      const dlq =
        options.dlq ?? (await LevelDeadLetterStore.attach(subs.dlq, writer, { onError: options.onError }));
      const manager = new DurableLocalQueueManager(db, subs, writer, recovered.dbId, recovered, dlq, options);
      onBatchError = (err) => manager.onError(err, `write to ${options.path} failed`);
      report(describeRecovery(options.path, recovered.report));
      return manager;
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  get paused(): boolean {
    return this.pausedFlag;
  }

  /** Records moved to the quarantine sublevel at open. */
  private recoveredEnvelopes: PipelineEnvelope[];

  takeRecoveredEnvelopes(): PipelineEnvelope[] {
    const taken = this.recoveredEnvelopes;
    this.recoveredEnvelopes = [];
    return taken;
  }

  get stateStore(): DurableStateStore {
    return this.state;
  }

  get quarantined(): number {
    return this.recovery.quarantined;
  }

  /** Resolves when every write issued so far is committed. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  publish(
    route: Route,
    envelope: PipelineEnvelope,
    priority?: Priority,
    opts?: PublishOptions,
  ): Promise<void> {
    try {
      return this.publishNow(route, envelope, priority, opts);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  subscribe<E extends PipelineEnvelope>(
    route: Route,
    handler: QueueHandler<E>,
    opts: SubscribeOptions,
  ): QueueSubscription {
    if (this.closed) throw new QueueClosedError(`subscribe to '${route}'`);
    const state = this.routes.get(route);
    if (state === undefined) throw new Error(`unknown route '${String(route)}'`);
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) {
      throw new RangeError(
        `subscribe to '${route}': concurrency must be an integer >= 1, got ${opts.concurrency}`,
      );
    }
    const sub = new Subscriber(handler as QueueHandler<PipelineEnvelope>, opts.concurrency);
    state.subscribers = [...state.subscribers, sub];
    this.scheduleDrain(state);
    return {
      stop: () => {
        if (sub.active) {
          sub.active = false;
          state.subscribers = state.subscribers.filter((s) => s !== sub);
          state.cursor = 0;
        }
        if (sub.inflight === 0) return RESOLVED;
        return new Promise<void>((resolve) => {
          const previous = sub.onStopped;
          sub.onStopped = () => {
            previous?.();
            resolve();
          };
        });
      },
    };
  }

  async deadLetter(msg: QueueMessage, failure: DeadLetterFailure): Promise<DeadLetterEnvelope> {
    const dl = this.buildDeadLetter(msg, failure);
    await this.dlq.add(dl);
    return dl;
  }

  async requeueDeadLetter(id: string): Promise<boolean> {
    const same = this.sameDbDlq;
    if (same !== undefined) {
      const dl = await same.get(id);
      // One batch: the message is back on its route exactly when its dead letter is gone.
      if (dl === undefined || !same.has(id)) return false;
      const published = this.publishNow(dl.sourceRoute, dl.payload, dl.sourcePriority, { wait: false });
      await Promise.all([same.remove(id), published]);
      return true;
    }
    return requeueFromDeadLetterStore(this.dlq, id, (found) =>
      this.publish(found.sourceRoute, found.payload, found.sourcePriority, { wait: false }),
    );
  }

  pause(): void {
    this.pausedFlag = true;
  }

  resume(): void {
    if (!this.pausedFlag) return;
    this.pausedFlag = false;
    for (const state of this.routes.values()) this.scheduleDrain(state);
  }

  depth(route?: Route, priority?: Priority): number {
    if (route !== undefined) {
      const state = this.routes.get(route);
      if (state === undefined) return 0;
      return priority === undefined ? state.waiting.size : state.waiting.sizeOf(priority);
    }
    if (priority === undefined) return this.totalDepth;
    let sum = 0;
    for (const state of this.routes.values()) sum += state.waiting.sizeOf(priority);
    return sum;
  }

  inflight(route?: Route): number {
    if (route === undefined) return this.totalInflight;
    return this.routes.get(route)?.inflight ?? 0;
  }

  /** Publishers waiting for room on `route` (all routes without one). */
  blockedPublishers(route?: Route): number {
    if (route === undefined) return this.totalBlocked;
    return this.routes.get(route)?.blocked.size ?? 0;
  }

  /** Resolves once nothing waits, is in flight, backs off or blocks a publisher, and all writes are committed. */
  async onIdle(): Promise<void> {
    if (!this.isIdle()) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    // A failed batch was reported through onError; idleness is about the queue, not about the disk.
    await this.writer.flush().catch(() => {});
  }

  /**
   * Stops delivering, rejects blocked publishers, waits for in-flight handlers, commits every queued write and
   * closes the database (the default DLQ and `state` with it). Messages backing off stay on disk with their
   * deadline; `depth` keeps reporting what was left.
   */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const state of this.routes.values()) {
        for (const blocked of state.blocked.drain()) {
          this.totalBlocked--;
          blocked.reject(new QueueClosedError(`publish to '${state.route}'`));
        }
      }
      for (const [timer, { state, entry }] of this.backingOff) {
        clearTimeout(timer);
        this.enqueue(state, entry);
      }
      this.backingOff.clear();
    }
    if (this.totalInflight > 0) await new Promise<void>((resolve) => this.settledWaiters.push(resolve));
    this.dbClosing ??= this.writer.close().then(() => this.db.close());
    await this.dbClosing;
  }

  private publishNow(
    route: Route,
    envelope: PipelineEnvelope,
    priority: Priority | undefined,
    opts: PublishOptions | undefined,
  ): Promise<void> {
    if (this.closed) throw new QueueClosedError(`publish to '${route}'`);
    const state = this.routes.get(route);
    if (state === undefined) throw new Error(`unknown route '${String(route)}'`);
    const prio = priority ?? envelope.routing.priority;
    if (!PRIORITY_SET.has(prio)) throw new Error(`publish to '${route}': unknown priority '${String(prio)}'`);
    // Encoding now rejects an unencodable envelope at the call, before anything is queued.
    const bytes = this.codec.encode(envelope);
    const delayMs = opts?.delayMs ?? 0;
    if (delayMs > 0) return this.admit(state, envelope, bytes, prio, delayMs);
    if (opts?.wait === false || (state.waiting.size < this.capacity && state.blocked.size === 0)) {
      return this.admit(state, envelope, bytes, prio);
    }
    return new Promise<void>((resolve, reject) => {
      state.blocked.push({ envelope, bytes, priority: prio, resolve, reject });
      this.totalBlocked++;
    });
  }

  /** Writes the record and queues the message in memory; resolves when the record is committed. */
  private admit(
    state: RouteState,
    envelope: PipelineEnvelope,
    bytes: Uint8Array,
    priority: Priority,
    delayMs = 0,
  ): Promise<void> {
    const seq = this.allocateSeq();
    const now = this.clock();
    const entry: Entry = {
      msg: {
        id: `${this.dbId}-${seq.toString(36)}`,
        route: state.route,
        priority,
        envelope,
        attempt: 0,
        enqueuedAtMs: now,
      },
      key: encodeMessageKey(state.route, priority, seq),
      originSeq: seq,
      lease: LeaseState.None,
    };
    const value = encodeMessageRecord(
      { attempt: 0, enqueuedAtMs: now, notBeforeMs: delayMs > 0 ? Date.now() + delayMs : 0, originSeq: seq },
      bytes,
    );
    const written = this.writer.write(putOp(this.subs.queue, entry.key, value));
    // Delivery need not wait for the commit: any later write about this message (lease, ack) is in the same or a
    // later batch, and batches commit in order. A delayed message waits in memory; its deadline is on disk too.
    if (delayMs > 0) this.backOff(state, entry, delayMs);
    else this.enqueue(state, entry, now);
    return written;
  }

  private allocateSeq(): number {
    this.seqDirty = true;
    return this.nextSeq++;
  }

  private isIdle(): boolean {
    return (
      this.totalDepth === 0 &&
      this.totalInflight === 0 &&
      this.totalBlocked === 0 &&
      this.backingOff.size === 0
    );
  }

  private enqueue(state: RouteState, entry: Entry, now = this.clock()): void {
    entry.msg.enqueuedAtMs = now;
    state.waiting.push(entry.msg.priority, entry, entry.msg.envelope.routing.depth);
    this.totalDepth++;
    this.scheduleDrain(state);
  }

  private backOff(state: RouteState, entry: Entry, delayMs: number): void {
    const timer = setTimeout(() => {
      this.backingOff.delete(timer);
      this.enqueue(state, entry);
    }, delayMs);
    this.backingOff.set(timer, { state, entry });
  }

  private scheduleDrain(state: RouteState): void {
    if (state.drainScheduled || this.closed) return;
    state.drainScheduled = true;
    if (this.turnDeliveries < DELIVERIES_PER_TURN) queueMicrotask(() => this.drain(state));
    else setImmediate(() => this.drain(state));
  }

  private drain(state: RouteState): void {
    state.drainScheduled = false;
    while (state.waiting.size > 0 && !this.pausedFlag && !this.closed) {
      if (this.turnDeliveries >= DELIVERIES_PER_TURN) {
        this.scheduleDrain(state);
        return;
      }
      const sub = this.nextFreeSubscriber(state);
      if (sub === undefined) return;
      const entry = state.waiting.pop() as Entry;
      this.totalDepth--;
      this.admitBlocked(state);
      this.deliver(state, sub, entry);
    }
  }

  private countDelivery(): void {
    if (this.turnDeliveries++ === 0) {
      setImmediate(() => {
        this.turnDeliveries = 0;
      });
    }
  }

  private nextFreeSubscriber(state: RouteState): Subscriber | undefined {
    const subs = state.subscribers;
    const n = subs.length;
    for (let i = 0; i < n; i++) {
      const index = (state.cursor + i) % n;
      const sub = subs[index] as Subscriber;
      if (sub.inflight < sub.concurrency) {
        state.cursor = (index + 1) % n;
        return sub;
      }
    }
    return undefined;
  }

  private admitBlocked(state: RouteState): void {
    while (state.blocked.size > 0 && state.waiting.size < this.capacity) {
      const blocked = state.blocked.shift() as BlockedPublish;
      this.totalBlocked--;
      this.admit(state, blocked.envelope, blocked.bytes, blocked.priority).then(
        blocked.resolve,
        blocked.reject,
      );
    }
  }

  private deliver(state: RouteState, sub: Subscriber, entry: Entry): void {
    this.countDelivery();
    sub.inflight++;
    state.inflight++;
    this.totalInflight++;
    entry.lease = LeaseState.Due;
    this.dueLeases.push(entry);
    // The batcher seals (and adds the due leases) only when it has a batch to write.
    void this.writer.write();
    let result: Promise<void>;
    try {
      result = Promise.resolve(sub.handler(entry.msg));
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      () => {
        this.removeRecord(entry);
        this.settle(state, sub);
      },
      (err: unknown) => this.nack(state, sub, entry, err),
    );
  }

  private writeDueLeases(ops: LevelWriteOp[]): void {
    if (this.dueLeases.length === 0) return;
    const deadline = Date.now() + this.leaseMs;
    let value: Buffer | undefined;
    for (const entry of this.dueLeases) {
      if (entry.lease !== LeaseState.Due) continue;
      value ??= encodeLease(this.owner, deadline);
      ops.push(putOp(this.subs.lease, entry.key, value));
      entry.lease = LeaseState.Written;
    }
    this.dueLeases = [];
  }

  /** Adds the operation that ends a delivery's lease to `ops` (none if the lease was never written). */
  private endLease(entry: Entry, ops: LevelWriteOp[]): LevelWriteOp[] {
    if (entry.lease === LeaseState.Written) ops.push(delOp(this.subs.lease, entry.key));
    entry.lease = LeaseState.None;
    return ops;
  }

  /** Deletes the record and its lease; called for acks and dead letters. */
  private removeRecord(entry: Entry): Promise<void> {
    return this.writer.write(...this.endLease(entry, [delOp(this.subs.queue, entry.key)]));
  }

  private nack(state: RouteState, sub: Subscriber, entry: Entry, err: unknown): void {
    const msg = entry.msg;
    if (msg.attempt < this.nackMaxRetries) {
      const delay = this.closed ? 0 : this.nackBackoffMs;
      const retry = this.rewriteForRetry(entry, delay);
      if (delay > 0) this.backOff(state, retry, delay);
      else this.enqueue(state, retry);
      this.settle(state, sub);
      return;
    }
    const failure: DeadLetterFailure = {
      reason: reasonOf(err),
      errorKind: errorKindOf(err),
      attempt: msg.attempt + 1,
    };
    const dl = this.buildDeadLetter(msg, failure);
    let stored: Promise<void>;
    const same = this.sameDbDlq;
    if (same !== undefined) {
      // The dead letter's put and the record's delete are queued in this turn: one batch, all or nothing.
      try {
        stored = same.addNow(dl);
        void this.removeRecord(entry);
      } catch (storeErr) {
        stored = Promise.reject(storeErr);
      }
    } else {
      // The record goes only once the dead letter is stored: a crash in between repeats the message, loses nothing.
      stored = this.dlq.add(dl).then(() => this.removeRecord(entry));
    }
    stored.then(
      () => this.settle(state, sub),
      (storeErr: unknown) => {
        this.onError(storeErr, `dead letter for message ${msg.id} on '${msg.route}' not stored`);
        this.settle(state, sub);
      },
    );
  }

  private buildDeadLetter(msg: QueueMessage, failure: DeadLetterFailure): DeadLetterEnvelope {
    return buildDeadLetter(this.namespace, msg, failure, this.clock());
  }

  /**
   * The retry gets a fresh sequence, so after a restart it comes after what was published during its backoff, as
   * it does in memory; the id (origin sequence) stays.
   */
  private rewriteForRetry(entry: Entry, delayMs: number): Entry {
    const msg = entry.msg;
    const seq = this.allocateSeq();
    const retry: Entry = {
      msg: { ...msg, attempt: msg.attempt + 1 },
      key: encodeMessageKey(msg.route, msg.priority, seq),
      originSeq: entry.originSeq,
      lease: LeaseState.None,
    };
    let value: Buffer;
    try {
      value = encodeMessageRecord(
        {
          attempt: retry.msg.attempt,
          enqueuedAtMs: this.clock(),
          notBeforeMs: delayMs > 0 ? Date.now() + delayMs : 0,
          originSeq: entry.originSeq,
        },
        this.codec.encode(msg.envelope),
      );
    } catch (encodeErr) {
      // The handler made the envelope unencodable: keep the old record (first attempt count) rather than lose it.
      this.onError(encodeErr, `retry of message ${msg.id} not persisted`);
      void this.writer.write(...this.endLease(entry, []));
      return { ...retry, key: entry.key };
    }
    void this.writer.write(
      ...this.endLease(entry, [delOp(this.subs.queue, entry.key), putOp(this.subs.queue, retry.key, value)]),
    );
    return retry;
  }

  private settle(state: RouteState, sub: Subscriber): void {
    sub.inflight--;
    state.inflight--;
    this.totalInflight--;
    if (!sub.active && sub.inflight === 0) sub.onStopped?.();
    this.scheduleDrain(state);
    if (this.totalInflight === 0 && this.settledWaiters.length > 0) {
      const waiters = this.settledWaiters;
      this.settledWaiters = [];
      for (const resolve of waiters) resolve();
    }
    if (this.idleWaiters.length > 0 && this.isIdle()) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}

function describeRecovery(path: string, r: DurableRecoveryReport): string {
  let line =
    `durable queue ${path}: ${r.recovered} message(s) recovered` +
    ` (${r.leasesReturned} leased by a previous process returned to pending, ${r.backingOff} backing off)`;
  if (r.quarantined > 0) {
    const reasons = r.quarantineReasons
      .slice(0, 5)
      .map((q) => `${q.key}: ${q.reason}`)
      .join('; ');
    line += `; ${r.quarantined} unreadable record(s) moved to the '${DURABLE_SUBLEVELS.quarantine}' sublevel (${reasons}${r.quarantined > 5 ? '; ...' : ''})`;
  }
  return line;
}

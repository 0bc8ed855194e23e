import type { CacheValue } from '../../cache/index.js';
import type {
  CacheWrite,
  CoordinationCommand,
  CoordinationOp,
  CoordinationResults,
  CronClaim,
  LockGrant,
  LockState,
  NodeRecord,
  PauseState,
  RateGrant,
} from './coordination.commands.js';
import { encodeCoordinationCommand } from './coordination-command.codec.js';
import { MAX_TTL_MS } from './coordination.limits.js';
import { packCoordination, unpackCoordination } from './coordination.msgpack.js';
import type { CoordinationPort } from './coordination.port.js';
import { decodeCoordinationResult } from './coordination-result.codec.js';
import type { CoordinationStateMachine } from './coordination-state-machine.js';
import type { NodeView } from './node-registry.js';

/** Distributes a command over CoordinationCommand's union while adding `at` (which the client stamps). */
type Unstamped<C> = C extends { at: number } ? Omit<C, 'at'> : never;
type CommandOf<K extends CoordinationOp> = Unstamped<Extract<CoordinationCommand, { op: K }>>;

export type CacheBatchWrite =
  | { op: 'set'; key: string; value: CacheValue; ttlMs?: number }
  | { op: 'del'; key: string }
  | { op: 'incr'; key: string; by?: number; ttlMs?: number };

export interface RateGrantRequest {
  key: string;
  holder: string;
  want: number;
  ratePerSec: number;
  /** Default 1: slots strictly one interval apart. */
  burst?: number;
  /** How far ahead of the replicated clock the grant may book slots. Default 1000 ms. */
  horizonMs?: number;
}

export interface Timestamped<T> {
  value: T;
  updatedAt: number;
}

export interface CoordinationClientOptions {
  /**
   * The wall clock (epoch ms) stamped on every command: the replicated clock is the largest stamp applied. Also
   * this node's view of "now" for reads that hide expired records. Default Date.now.
   */
  clock?: () => number;
}

/** Absent, non-positive or non-finite TTL = never expires (LocalCacheService's rule); whole ms, rounded up. */
function normalizeTtl(ttlMs: number | undefined): number | undefined {
  if (ttlMs === undefined || !(ttlMs > 0) || !Number.isFinite(ttlMs)) return undefined;
  return Math.min(Math.ceil(ttlMs), MAX_TTL_MS);
}

function pack(value: CacheValue, where: string): Uint8Array {
  try {
    return packCoordination(value);
  } catch (error) {
    throw new TypeError(`${where}: the value cannot be encoded as MessagePack: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Typed access to the coordination state machine through Raft. Writes go through the log (`propose`) and are
 * linearizable; each read says below whether it is linearizable (a ReadIndex round: correct even right after a
 * leader change) or local (this replica's state, possibly a little stale: fine where a stale answer is harmless).
 *
 * Refused commands reject with CoordinationCommandError; Raft failures (no leader, timeout) reject with the Raft
 * node's error, and then the outcome of a write is unknown. Writes are not retried here: incr is not idempotent.
 */
export class CoordinationClient {
  private readonly clock: () => number;

  constructor(
    private readonly port: CoordinationPort,
    private readonly machine: CoordinationStateMachine,
    options: CoordinationClientOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
  }

  /** This node's wall clock, the one commands are stamped with (epoch ms). */
  now(): number {
    return Math.floor(this.clock());
  }

  /** Advances the replicated clock to this node's clock (the leader sends it when idle, so leases expire). */
  async tick(): Promise<number> {
    return this.propose('clock', { op: 'clock' });
  }

  // --- cache ---------------------------------------------------------------------------------------------------

  /**
   * Local read: cached pages, robots rules and counters tolerate a value a few ms stale. Pass
   * `{ linearizable: true }` to read after a ReadIndex round instead.
   */
  async cacheGet<T extends CacheValue = CacheValue>(
    key: string,
    options: { linearizable?: boolean } = {},
  ): Promise<T | undefined> {
    const query = (): Uint8Array | undefined => this.machine.cacheGet(key, this.now());
    const bytes = options.linearizable ? await this.port.read(query) : this.port.localRead(query);
    return bytes === undefined
      ? undefined
      : (unpackCoordination(bytes, `cache[${JSON.stringify(key)}]`) as T);
  }

  async cacheSet(key: string, value: CacheValue, ttlMs?: number): Promise<void> {
    const command = { op: 'cache.set', key, value: pack(value, `cache set ${JSON.stringify(key)}`) } as const;
    return this.propose('cache.set', withTtl(command, ttlMs)).then(() => undefined);
  }

  /** True when a live entry was removed. */
  async cacheDel(key: string): Promise<boolean> {
    return this.propose('cache.del', { op: 'cache.del', key });
  }

  async cacheSetIfAbsent(key: string, value: CacheValue, ttlMs?: number): Promise<boolean> {
    const command = { op: 'cache.setIfAbsent', key, value: pack(value, `cache setIfAbsent ${key}`) } as const;
    return this.propose('cache.setIfAbsent', withTtl(command, ttlMs));
  }

  /** The TTL applies only when this call creates the entry. */
  async cacheIncr(key: string, by = 1, ttlMs?: number): Promise<number> {
    return this.propose('cache.incr', withTtl({ op: 'cache.incr', key, by } as const, ttlMs));
  }

  /**
   * Writes `value` (undefined = delete) when the entry currently equals `expected` (undefined = absent).
   * Equality is on the MessagePack encoding: for maps, key order matters.
   */
  async cacheCompareAndSet(
    key: string,
    expected: CacheValue | undefined,
    value: CacheValue | undefined,
    ttlMs?: number,
  ): Promise<boolean> {
    const where = `cache compareAndSet ${JSON.stringify(key)}`;
    const command = {
      op: 'cache.cas',
      key,
      expected: expected === undefined ? null : pack(expected, where),
      value: value === undefined ? null : pack(value, where),
    } as const;
    return this.propose('cache.cas', withTtl(command, ttlMs));
  }

  /** Several writes in one log entry, applied all or none; results in order (set: null, del: boolean, incr: n). */
  async cacheBatch(writes: readonly CacheBatchWrite[]): Promise<Array<null | boolean | number>> {
    const encoded = writes.map((w): CacheWrite => {
      if (w.op === 'set')
        return withTtl({ op: 'set', key: w.key, value: pack(w.value, `cache batch ${w.key}`) }, w.ttlMs);
      if (w.op === 'del') return { op: 'del', key: w.key };
      return withTtl({ op: 'incr', key: w.key, by: w.by ?? 1 }, w.ttlMs);
    });
    return this.propose('cache.batch', { op: 'cache.batch', writes: encoded });
  }

  // --- locks ---------------------------------------------------------------------------------------------------

  /** Present `token` to the guarded resource with every write: it must refuse a token lower than one it saw. */
  async lockAcquire(name: string, holder: string, leaseMs: number): Promise<LockGrant> {
    return this.propose('lock.acquire', { op: 'lock.acquire', name, holder, leaseMs: leaseOf(leaseMs) });
  }

  async lockRenew(name: string, holder: string, token: number, leaseMs: number): Promise<LockGrant> {
    return this.propose('lock.renew', { op: 'lock.renew', name, holder, token, leaseMs: leaseOf(leaseMs) });
  }

  async lockRelease(name: string, holder: string, token: number): Promise<boolean> {
    return this.propose('lock.release', { op: 'lock.release', name, holder, token });
  }

  /** Linearizable: deciding who holds a lock from a stale replica could let two processes believe they hold it. */
  lockGet(name: string): Promise<LockState | undefined> {
    return this.port.read(() => this.machine.lockGet(name, this.now()));
  }

  // --- rate limits ---------------------------------------------------------------------------------------------

  async rateGrant(req: RateGrantRequest): Promise<RateGrant> {
    return this.propose('rate.grant', {
      op: 'rate.grant',
      key: req.key,
      holder: req.holder,
      want: req.want,
      ratePerSec: req.ratePerSec,
      burst: req.burst ?? 1,
      horizonMs: req.horizonMs ?? 1000,
    });
  }

  // --- status --------------------------------------------------------------------------------------------------

  async statusPut(key: string, value: CacheValue, ttlMs?: number): Promise<void> {
    const command = { op: 'status.put', key, value: pack(value, `status ${JSON.stringify(key)}`) } as const;
    return this.propose('status.put', withTtl(command, ttlMs)).then(() => undefined);
  }

  async statusDel(key: string): Promise<boolean> {
    return this.propose('status.del', { op: 'status.del', key });
  }

  /** Local: status pages and progress are informational; a few ms of lag is fine. */
  statusGet<T extends CacheValue = CacheValue>(key: string): Timestamped<T> | undefined {
    const record = this.port.localRead(() => this.machine.statusGet(key, this.now()));
    if (record === undefined) return undefined;
    return { value: unpackCoordination(record.value, `status[${key}]`) as T, updatedAt: record.updatedAt };
  }

  /** Local, in key order. */
  statusList<T extends CacheValue = CacheValue>(
    prefix: string,
    limit?: number,
  ): Array<{ key: string } & Timestamped<T>> {
    return this.port
      .localRead(() => this.machine.statusList(prefix, limit, this.now()))
      .map((r) => ({
        key: r.key,
        value: unpackCoordination(r.value, `status[${r.key}]`) as T,
        updatedAt: r.updatedAt,
      }));
  }

  // --- config store --------------------------------------------------------------------------------------------

  /** Resolves with the revision (Raft index) of the write. */
  async configPut(name: string, value: CacheValue): Promise<number> {
    return this.propose('config.put', { op: 'config.put', name, value: pack(value, `config ${name}`) });
  }

  async configDel(name: string): Promise<boolean> {
    return this.propose('config.del', { op: 'config.del', name });
  }

  /**
   * Local: the running crawl polls it and picks a change up within the replication lag; the control plane reads
   * its own writes because propose resolves only once the write is applied on this node.
   */
  configGet<T extends CacheValue = CacheValue>(
    name: string,
  ): (Timestamped<T> & { revision: number }) | undefined {
    const record = this.port.localRead(() => this.machine.configGet(name));
    if (record === undefined) return undefined;
    return {
      value: unpackCoordination(record.value, `config[${name}]`) as T,
      revision: record.revision,
      updatedAt: record.updatedAt,
    };
  }

  /** Local, in name order. */
  configList<T extends CacheValue = CacheValue>(): Array<
    { name: string; revision: number } & Timestamped<T>
  > {
    return this.port
      .localRead(() => this.machine.configList())
      .map((r) => ({
        name: r.name,
        value: unpackCoordination(r.value, `config[${r.name}]`) as T,
        revision: r.revision,
        updatedAt: r.updatedAt,
      }));
  }

  // --- pause flag ----------------------------------------------------------------------------------------------

  async pauseSet(paused: boolean, by: string, reason?: string): Promise<PauseState> {
    const command =
      reason === undefined ? { op: 'pause.set', paused, by } : { op: 'pause.set', paused, by, reason };
    return this.propose('pause.set', command as CommandOf<'pause.set'>);
  }

  /** Local: every node polls it; a follower sees a pause within the replication lag (well under the 1 s goal). */
  pauseGet(): PauseState {
    return this.port.localRead(() => this.machine.pauseGet());
  }

  // --- node registry -------------------------------------------------------------------------------------------

  async nodeRegister(nodeId: string, address: string, meta?: CacheValue): Promise<NodeRecord> {
    const command =
      meta === undefined
        ? { op: 'node.register', nodeId, address }
        : { op: 'node.register', nodeId, address, meta: pack(meta, `node ${nodeId} meta`) };
    return this.propose('node.register', command as CommandOf<'node.register'>);
  }

  /** Refused (CoordinationCommandError) for a node that is not registered: register again. */
  async nodeHeartbeat(nodeId: string): Promise<NodeRecord> {
    return this.propose('node.heartbeat', { op: 'node.heartbeat', nodeId });
  }

  async nodeRemove(nodeId: string): Promise<boolean> {
    return this.propose('node.remove', { op: 'node.remove', nodeId });
  }

  /** Local: `/cluster/nodes` is a view for humans; alive = last heartbeat within `aliveTtlMs` of now. */
  nodeList(aliveTtlMs: number): NodeView[] {
    return this.port.localRead(() => this.machine.nodeList(aliveTtlMs, this.now()));
  }

  // --- cron ----------------------------------------------------------------------------------------------------

  /** True exactly once per (schedule, fireTime) in the cluster; refused for times at or before the last claimed. */
  async cronClaim(schedule: string, fireTime: number, nodeId: string): Promise<CronClaim> {
    return this.propose('cron.claim', { op: 'cron.claim', schedule, fireTime: Math.floor(fireTime), nodeId });
  }

  /** Linearizable: a new leader computing which fire times it missed must see its predecessor's last claim. */
  cronLastFired(schedule: string): Promise<{ fireTime: number; nodeId: string } | undefined> {
    return this.port.read(() => this.machine.cronLast(schedule));
  }

  private async propose<K extends CoordinationOp>(
    op: K,
    command: CommandOf<K>,
  ): Promise<CoordinationResults[K]> {
    const stamped = { ...command, at: this.now() } as unknown as CoordinationCommand;
    const result = await this.port.propose(encodeCoordinationCommand(stamped));
    return decodeCoordinationResult(op, result);
  }
}

function withTtl<T extends object>(command: T, ttlMs: number | undefined): T & { ttlMs?: number } {
  const ttl = normalizeTtl(ttlMs);
  return ttl === undefined ? command : { ...command, ttlMs: ttl };
}

function leaseOf(leaseMs: number): number {
  if (!(leaseMs > 0) || !Number.isFinite(leaseMs)) {
    throw new RangeError(`lock lease must be a positive number of ms, got ${leaseMs}`);
  }
  return Math.ceil(leaseMs);
}

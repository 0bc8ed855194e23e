/**
 * Commands of the coordination state machine. Every command carries `at`, the proposer's wall clock in epoch ms:
 * there is no shared clock, so the state machine's clock is the largest `at` it has applied (monotonic and the
 * same on every replica), and expiry is decided by it, in the log.
 *
 * Stored values (`value`, `expected`, `meta`) are MessagePack bytes of a CacheValue, encoded by the client: the
 * state machine keeps them as bytes and compares them bytewise.
 */
export type CacheWrite =
  | { op: 'set'; key: string; value: Uint8Array; ttlMs?: number }
  | { op: 'del'; key: string }
  | { op: 'incr'; key: string; by: number; ttlMs?: number };

export type CoordinationCommand =
  | { op: 'clock'; at: number }
  | { op: 'cache.set'; at: number; key: string; value: Uint8Array; ttlMs?: number }
  | { op: 'cache.del'; at: number; key: string }
  | { op: 'cache.setIfAbsent'; at: number; key: string; value: Uint8Array; ttlMs?: number }
  | { op: 'cache.incr'; at: number; key: string; by: number; ttlMs?: number }
  /** `expected` null = the key must be absent; `value` null = delete. */
  | {
      op: 'cache.cas';
      at: number;
      key: string;
      expected: Uint8Array | null;
      value: Uint8Array | null;
      ttlMs?: number;
    }
  | { op: 'cache.batch'; at: number; writes: CacheWrite[] }
  | { op: 'lock.acquire'; at: number; name: string; holder: string; leaseMs: number }
  | { op: 'lock.renew'; at: number; name: string; holder: string; token: number; leaseMs: number }
  | { op: 'lock.release'; at: number; name: string; holder: string; token: number }
  | {
      op: 'rate.grant';
      at: number;
      key: string;
      holder: string;
      want: number;
      ratePerSec: number;
      burst: number;
      horizonMs: number;
    }
  | { op: 'status.put'; at: number; key: string; value: Uint8Array; ttlMs?: number }
  | { op: 'status.del'; at: number; key: string }
  | { op: 'config.put'; at: number; name: string; value: Uint8Array }
  | { op: 'config.del'; at: number; name: string }
  | { op: 'pause.set'; at: number; paused: boolean; by: string; reason?: string }
  | { op: 'node.register'; at: number; nodeId: string; address: string; meta?: Uint8Array }
  | { op: 'node.heartbeat'; at: number; nodeId: string }
  | { op: 'node.remove'; at: number; nodeId: string }
  | { op: 'cron.claim'; at: number; schedule: string; fireTime: number; nodeId: string };

export type CoordinationOp = CoordinationCommand['op'];

export const COORDINATION_OPS: readonly CoordinationOp[] = [
  'clock',
  'cache.set',
  'cache.del',
  'cache.setIfAbsent',
  'cache.incr',
  'cache.cas',
  'cache.batch',
  'lock.acquire',
  'lock.renew',
  'lock.release',
  'rate.grant',
  'status.put',
  'status.del',
  'config.put',
  'config.del',
  'pause.set',
  'node.register',
  'node.heartbeat',
  'node.remove',
  'cron.claim',
];

/** A live lease on a lock. */
export interface LockState {
  holder: string;
  /** Fencing token: the guarded resource refuses writes carrying a token lower than one it has seen. */
  token: number;
  /** Epoch ms on the replicated clock. */
  expiresAt: number;
}

/** A lock as seen by a caller; `token` is the fencing token to present to the guarded resource. */
export interface LockGrant {
  granted: boolean;
  /** The current holder's token ('' holder and token 0 when nobody holds the lock). */
  token: number;
  holder: string;
  /** Epoch ms on the replicated clock; 0 when nobody holds the lock. */
  expiresAt: number;
}

/**
 * A batch of rate-limit slots: `granted` slots at `from`, `from + intervalMs`, ... (replicated clock, epoch ms),
 * i.e. the window [from, until). A slot whose time has passed may be spent at once.
 */
export interface RateGrant {
  granted: number;
  from: number;
  until: number;
  intervalMs: number;
  /** Holders that got slots on this key recently (this one included): callers size their batches by it. */
  holders: number;
  /** With nothing granted: the earliest clock at which asking again can succeed. */
  retryAt: number;
}

export interface CronClaim {
  claimed: boolean;
  /** The schedule's latest claimed fire time (this one when claimed). */
  lastFireTime: number;
  /** The node that claimed `lastFireTime`. */
  nodeId: string;
}

export interface PauseState {
  paused: boolean;
  by: string;
  /** Replicated clock when the flag was last set; 0 when never set. */
  at: number;
  reason?: string;
}

export interface NodeRecord {
  nodeId: string;
  address: string;
  registeredAt: number;
  lastSeen: number;
  /** MessagePack bytes of the node's metadata, if it registered any. */
  meta?: Uint8Array;
}

export interface ConfigRecord {
  value: Uint8Array;
  /** Raft index of the command that wrote it: a watcher compares revisions to see a change. */
  revision: number;
  updatedAt: number;
}

export interface StatusRecord {
  value: Uint8Array;
  updatedAt: number;
  /** Epoch ms; Infinity = never. */
  expiresAt: number;
}

/** What apply returns for each op (before encoding). */
export interface CoordinationResults {
  clock: number;
  'cache.set': null;
  'cache.del': boolean;
  'cache.setIfAbsent': boolean;
  'cache.incr': number;
  'cache.cas': boolean;
  'cache.batch': Array<null | boolean | number>;
  'lock.acquire': LockGrant;
  'lock.renew': LockGrant;
  'lock.release': boolean;
  'rate.grant': RateGrant;
  'status.put': null;
  'status.del': boolean;
  'config.put': number;
  'config.del': boolean;
  'pause.set': PauseState;
  'node.register': NodeRecord;
  'node.heartbeat': NodeRecord;
  'node.remove': boolean;
  'cron.claim': CronClaim;
}

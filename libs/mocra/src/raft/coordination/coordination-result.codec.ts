import type {
  CoordinationOp,
  CoordinationResults,
  CronClaim,
  LockGrant,
  NodeRecord,
  PauseState,
  RateGrant,
} from './coordination.commands.js';
import { CoordinationCommandError } from './coordination.errors.js';
import { MAX_TEXT_BYTES, MAX_TIME_MS } from './coordination.limits.js';
import { packCoordination, unpackCoordination } from './coordination.msgpack.js';
import { FieldReader, type FieldValue } from './field-reader.js';

/**
 * Result bytes: `{ ok: true, r: value }` or `{ ok: false, error }`. A refused command is a result, not a throw, so
 * every replica records the same outcome and the proposer gets the reason.
 */
export function encodeResultOk(value: unknown): Uint8Array {
  return packCoordination({ ok: true, r: value });
}

export function encodeResultError(error: string): Uint8Array {
  return packCoordination({ ok: false, error });
}

/** Decodes the result of `op`; a refusal is thrown as CoordinationCommandError. */
export function decodeCoordinationResult<K extends CoordinationOp>(
  op: K,
  bytes: Uint8Array,
): CoordinationResults[K] {
  const r = FieldReader.of(unpackCoordination(bytes, `result of ${op}`), `result of ${op}`);
  if (!r.field('ok').bool()) {
    const reason = r.field('error').string(64 * 1024);
    r.end();
    throw new CoordinationCommandError(op, reason);
  }
  const value = readValue(op, r.field('r'));
  r.end();
  return value as CoordinationResults[K];
}

const time = (v: FieldValue): number => v.number(0, MAX_TIME_MS);
const text = (v: FieldValue): string => v.string(MAX_TEXT_BYTES);

function readValue(op: CoordinationOp, v: FieldValue): CoordinationResults[CoordinationOp] {
  switch (op) {
    case 'clock':
    case 'config.put':
      return v.int(0, Number.MAX_SAFE_INTEGER);
    case 'cache.set':
    case 'status.put':
      if (v.raw !== null) v.fail('expected null');
      return null;
    case 'cache.del':
    case 'cache.setIfAbsent':
    case 'cache.cas':
    case 'lock.release':
    case 'status.del':
    case 'config.del':
    case 'node.remove':
      return v.bool();
    case 'cache.incr':
      return v.number(-Number.MAX_VALUE, Number.MAX_VALUE);
    case 'cache.batch':
      return v.array(Number.MAX_SAFE_INTEGER).map((item) => {
        if (item.raw === null || typeof item.raw === 'boolean') return item.raw;
        return item.number(-Number.MAX_VALUE, Number.MAX_VALUE);
      });
    case 'lock.acquire':
    case 'lock.renew':
      return readLockGrant(v);
    case 'rate.grant':
      return readRateGrant(v);
    case 'pause.set':
      return readPauseState(v);
    case 'node.register':
    case 'node.heartbeat':
      return readNodeRecord(v);
    case 'cron.claim':
      return readCronClaim(v);
  }
}

function readLockGrant(v: FieldValue): LockGrant {
  const r = v.map();
  const grant: LockGrant = {
    granted: r.field('granted').bool(),
    token: r.field('token').int(0, Number.MAX_SAFE_INTEGER),
    holder: text(r.field('holder')),
    expiresAt: time(r.field('expiresAt')),
  };
  r.end();
  return grant;
}

function readRateGrant(v: FieldValue): RateGrant {
  const r = v.map();
  const any = (name: string): number => r.field(name).number(-Number.MAX_VALUE, Number.MAX_VALUE);
  const grant: RateGrant = {
    granted: r.field('granted').int(0, Number.MAX_SAFE_INTEGER),
    from: any('from'),
    until: any('until'),
    intervalMs: any('intervalMs'),
    holders: r.field('holders').int(0, Number.MAX_SAFE_INTEGER),
    retryAt: any('retryAt'),
  };
  r.end();
  return grant;
}

function readPauseState(v: FieldValue): PauseState {
  const r = v.map();
  const state: PauseState = {
    paused: r.field('paused').bool(),
    by: text(r.field('by')),
    at: time(r.field('at')),
  };
  const reason = r.optional('reason')?.string(MAX_TEXT_BYTES);
  if (reason !== undefined) state.reason = reason;
  r.end();
  return state;
}

function readNodeRecord(v: FieldValue): NodeRecord {
  const r = v.map();
  const node: NodeRecord = {
    nodeId: text(r.field('nodeId')),
    address: text(r.field('address')),
    registeredAt: time(r.field('registeredAt')),
    lastSeen: time(r.field('lastSeen')),
  };
  const meta = r.optional('meta')?.bytes(MAX_TEXT_BYTES);
  if (meta !== undefined) node.meta = meta;
  r.end();
  return node;
}

function readCronClaim(v: FieldValue): CronClaim {
  const r = v.map();
  const claim: CronClaim = {
    claimed: r.field('claimed').bool(),
    lastFireTime: time(r.field('lastFireTime')),
    nodeId: text(r.field('nodeId')),
  };
  r.end();
  return claim;
}

import type { CacheWrite, CoordinationCommand, CoordinationOp } from './coordination.commands.js';
import { COORDINATION_OPS } from './coordination.commands.js';
import { CoordinationDecodeError } from './coordination.errors.js';
import {
  MAX_BATCH_WRITES,
  MAX_CLOCK_MS,
  MAX_BURST,
  MAX_GRANT_HORIZON_MS,
  MAX_GRANT_WANT,
  MAX_INCR,
  MAX_KEY_BYTES,
  MAX_LEASE_MS,
  MAX_NAME_BYTES,
  MAX_RATE_PER_SEC,
  MAX_TEXT_BYTES,
  MAX_TTL_MS,
  MAX_VALUE_BYTES,
} from './coordination.limits.js';
import { assertPacked, packCoordination, unpackCoordination } from './coordination.msgpack.js';
import { FieldReader, type FieldValue } from './field-reader.js';

/** Bumped when a command's meaning changes; a replica refuses versions it does not know (deterministically). */
export const COORDINATION_COMMAND_VERSION = 1;

export function encodeCoordinationCommand(command: CoordinationCommand): Uint8Array {
  return packCoordination({ v: COORDINATION_COMMAND_VERSION, ...command });
}

/** Decodes and validates every field; throws CoordinationDecodeError naming the field that is wrong. */
export function decodeCoordinationCommand(bytes: Uint8Array): CoordinationCommand {
  const r = FieldReader.of(unpackCoordination(bytes, 'command'), 'command');
  const version = r.field('v').int(0, Number.MAX_SAFE_INTEGER);
  if (version !== COORDINATION_COMMAND_VERSION) {
    throw new CoordinationDecodeError(
      'command.v',
      `version ${version} is not supported (this replica reads ${COORDINATION_COMMAND_VERSION})`,
    );
  }
  const op = readOp(r.field('op'));
  const at = r.field('at').int(0, MAX_CLOCK_MS);
  const command = readBody(op, at, r);
  r.end();
  return command;
}

function readOp(value: FieldValue): CoordinationOp {
  const op = value.string(32);
  if (!(COORDINATION_OPS as readonly string[]).includes(op)) value.fail(`unknown op ${JSON.stringify(op)}`);
  return op as CoordinationOp;
}

const key = (r: FieldReader, name = 'key'): string => r.field(name).string(MAX_KEY_BYTES, 1);
const name = (r: FieldReader, field: string): string => r.field(field).string(MAX_NAME_BYTES, 1);
const packed = (v: FieldValue, max = MAX_VALUE_BYTES): Uint8Array => assertPacked(v.bytes(max), v.path);
const value = (r: FieldReader, field = 'value'): Uint8Array => packed(r.field(field));
const ttl = (r: FieldReader): number | undefined => r.optional('ttlMs')?.int(1, MAX_TTL_MS);
const nullableValue = (r: FieldReader, field: string): Uint8Array | null => {
  const v = r.field(field);
  return v.raw === null ? null : packed(v);
};

function readBody(op: CoordinationOp, at: number, r: FieldReader): CoordinationCommand {
  switch (op) {
    case 'clock':
      return { op, at };
    case 'cache.set':
    case 'cache.setIfAbsent':
    case 'status.put':
      return withTtl({ op, at, key: key(r), value: value(r) }, ttl(r));
    case 'cache.del':
    case 'status.del':
      return { op, at, key: key(r) };
    case 'cache.incr':
      return withTtl({ op, at, key: key(r), by: r.field('by').number(-MAX_INCR, MAX_INCR) }, ttl(r));
    case 'cache.cas':
      return withTtl(
        { op, at, key: key(r), expected: nullableValue(r, 'expected'), value: nullableValue(r, 'value') },
        ttl(r),
      );
    case 'cache.batch':
      return { op, at, writes: r.field('writes').array(MAX_BATCH_WRITES).map(readWrite) };
    case 'lock.acquire':
      return {
        op,
        at,
        name: name(r, 'name'),
        holder: name(r, 'holder'),
        leaseMs: r.field('leaseMs').int(1, MAX_LEASE_MS),
      };
    case 'lock.renew':
      return {
        op,
        at,
        name: name(r, 'name'),
        holder: name(r, 'holder'),
        token: r.field('token').int(1, Number.MAX_SAFE_INTEGER),
        leaseMs: r.field('leaseMs').int(1, MAX_LEASE_MS),
      };
    case 'lock.release':
      return {
        op,
        at,
        name: name(r, 'name'),
        holder: name(r, 'holder'),
        token: r.field('token').int(1, Number.MAX_SAFE_INTEGER),
      };
    case 'rate.grant':
      return {
        op,
        at,
        key: key(r),
        holder: name(r, 'holder'),
        want: r.field('want').int(1, MAX_GRANT_WANT),
        ratePerSec: positive(r.field('ratePerSec'), MAX_RATE_PER_SEC),
        burst: r.field('burst').int(1, MAX_BURST),
        horizonMs: r.field('horizonMs').int(0, MAX_GRANT_HORIZON_MS),
      };
    case 'config.put':
      return { op, at, name: name(r, 'name'), value: value(r) };
    case 'config.del':
      return { op, at, name: name(r, 'name') };
    case 'pause.set': {
      const reason = r.optional('reason')?.string(MAX_TEXT_BYTES);
      const cmd = { op, at, paused: r.field('paused').bool(), by: r.field('by').string(MAX_NAME_BYTES) };
      return reason === undefined ? cmd : { ...cmd, reason };
    }
    case 'node.register': {
      const metaField = r.optional('meta');
      const meta = metaField === undefined ? undefined : packed(metaField, MAX_TEXT_BYTES);
      const cmd = { op, at, nodeId: name(r, 'nodeId'), address: r.field('address').string(MAX_TEXT_BYTES) };
      return meta === undefined ? cmd : { ...cmd, meta };
    }
    case 'node.heartbeat':
    case 'node.remove':
      return { op, at, nodeId: name(r, 'nodeId') };
    case 'cron.claim':
      return {
        op,
        at,
        schedule: name(r, 'schedule'),
        fireTime: r.field('fireTime').int(0, MAX_CLOCK_MS),
        nodeId: name(r, 'nodeId'),
      };
  }
}

function readWrite(item: FieldValue): CacheWrite {
  const r = item.map();
  const op = r.field('op').string(8);
  let write: CacheWrite;
  if (op === 'set') write = withTtl({ op, key: key(r), value: value(r) }, ttl(r));
  else if (op === 'del') write = { op, key: key(r) };
  else if (op === 'incr')
    write = withTtl({ op, key: key(r), by: r.field('by').number(-MAX_INCR, MAX_INCR) }, ttl(r));
  else throw new CoordinationDecodeError(`${r.path}.op`, `unknown batch write ${JSON.stringify(op)}`);
  r.end();
  return write;
}

function positive(value: FieldValue, max: number): number {
  const n = value.number(0, max);
  if (n === 0) value.fail('must be greater than 0');
  return n;
}

function withTtl<T extends object>(command: T, ttlMs: number | undefined): T & { ttlMs?: number } {
  return ttlMs === undefined ? command : { ...command, ttlMs };
}

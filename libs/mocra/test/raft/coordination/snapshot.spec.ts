import { describe, expect, it } from 'vitest';
import {
  CoordinationDecodeError,
  CoordinationStateMachine,
  encodeCoordinationCommand,
  type CoordinationCommand,
} from '../../../src/raft/coordination/index.js';
import { packCoordination, unpackCoordination } from '../../../src/raft/coordination/coordination.msgpack.js';
import { applyCommand } from './support/apply-command.js';

const T0 = 1_700_000_000_000;

function populated(): CoordinationStateMachine {
  const m = new CoordinationStateMachine();
  const run = (c: CoordinationCommand, index = 1): void => void m.apply(encodeCoordinationCommand(c), index);
  run({
    op: 'cache.set',
    at: T0,
    key: 'page',
    value: packCoordination(new Uint8Array([1, 2])),
    ttlMs: 5_000,
  });
  run({ op: 'cache.set', at: T0, key: 'robots', value: packCoordination({ allow: ['/'] }) });
  run({ op: 'cache.incr', at: T0, key: 'n', by: 3 });
  run({ op: 'lock.acquire', at: T0, name: 'module:a', holder: 'n1', leaseMs: 10_000 });
  run({ op: 'lock.acquire', at: T0, name: 'module:b', holder: 'n2', leaseMs: 10_000 });
  run({
    op: 'rate.grant',
    at: T0,
    key: 'host:x',
    holder: 'n1',
    want: 3,
    ratePerSec: 30,
    burst: 2,
    horizonMs: 500,
  });
  run({ op: 'status.put', at: T0, key: 'run/a/1', value: packCoordination({ pages: 4 }), ttlMs: 60_000 });
  run({ op: 'config.put', at: T0, name: 'catalog', value: packCoordination({ rateLimit: 5 }) }, 42);
  run({ op: 'pause.set', at: T0, paused: true, by: 'admin', reason: 'maintenance' });
  run({
    op: 'node.register',
    at: T0,
    nodeId: 'n1',
    address: '10.0.0.1:7000',
    meta: packCoordination({ v: 1 }),
  });
  run({ op: 'cron.claim', at: T0, schedule: 'catalog', fireTime: T0, nodeId: 'n1' });
  return m;
}

/** Rewrites one field of a decoded snapshot and re-encodes it. */
function tampered(snapshot: Uint8Array, edit: (s: Record<string, unknown>) => void): Uint8Array {
  const decoded = unpackCoordination(snapshot, 'test') as Record<string, unknown>;
  edit(decoded);
  return packCoordination(decoded);
}

describe('CoordinationStateMachine snapshot', () => {
  it('round-trips: restore gives equal bytes and the same answers to every query', () => {
    const original = populated();
    const bytes = original.snapshot();
    const copy = new CoordinationStateMachine();
    copy.restore(bytes);
    expect(Buffer.from(copy.snapshot()).equals(Buffer.from(bytes))).toBe(true);
    expect(copy.clock).toBe(T0);
    expect(copy.cacheGet('page')).toEqual(original.cacheGet('page'));
    expect(copy.lockGet('module:b')).toEqual({ holder: 'n2', token: 2, expiresAt: T0 + 10_000 });
    expect(copy.configGet('catalog')?.revision).toBe(42);
    expect(copy.pauseGet()).toEqual({ paused: true, by: 'admin', at: T0, reason: 'maintenance' });
    expect(copy.nodeList(1_000)).toEqual(original.nodeList(1_000));
    expect(copy.cronLast('catalog')).toEqual({ fireTime: T0, nodeId: 'n1', claimedAt: T0 });
    expect(copy.sizes()).toEqual(original.sizes());
  });

  it('keeps fencing tokens increasing across snapshot and restore, even after every lease is gone', () => {
    const m = populated(); // tokens 1 and 2 issued
    applyCommand(m, { op: 'lock.release', at: T0, name: 'module:a', holder: 'n1', token: 1 });
    applyCommand(m, { op: 'clock', at: T0 + 20_000 }); // module:b's lease lapses and is purged
    expect(m.sizes().locks).toBe(0);
    const restored = new CoordinationStateMachine();
    restored.restore(m.snapshot());
    const grant = applyCommand(restored, {
      op: 'lock.acquire',
      at: T0 + 20_000,
      name: 'module:a',
      holder: 'n3',
      leaseMs: 1,
    });
    expect(grant).toMatchObject({ granted: true, token: 3 });
  });

  it('restores empty bytes as the initial state (what RaftNode passes for a snapshot with no data)', () => {
    const m = populated();
    m.restore(new Uint8Array(0));
    expect(Buffer.from(m.snapshot()).equals(Buffer.from(new CoordinationStateMachine().snapshot()))).toBe(
      true,
    );
  });

  it.each<[string, (s: Record<string, unknown>) => void, RegExp]>([
    ['an unknown version', (s) => (s.v = 2), /snapshot\.v: version 2 is not supported/],
    ['a string clock', (s) => (s.clock = 'soon'), /snapshot\.clock: expected an integer/],
    [
      'keys out of order',
      (s) => (s.cache as unknown[]).reverse(),
      /snapshot\.cache\[\d\]: keys are not strictly ascending/,
    ],
    [
      'a short row',
      (s) => ((s.locks as unknown[][])[0] = ['module:a', 'n1']),
      /snapshot\.locks\[0\]: expected 4 items/,
    ],
    ['a token above the counter', (s) => (s.fencing = 1), /token 2 exceeds the fencing counter/],
    [
      'a value that is not MessagePack',
      (s) => ((s.cache as unknown[][])[0]![1] = new Uint8Array([0xc4, 0x05, 0x01])),
      /snapshot\.cache\[0\]\[1\]/,
    ],
    ['an unknown table', (s) => (s.extra = []), /snapshot\.extra: unknown field/],
    ['a missing table', (s) => delete s.cron, /snapshot\.cron: missing/],
  ])('refuses a snapshot with %s and keeps its state', (_what, edit, message) => {
    const m = populated();
    const before = Buffer.from(m.snapshot());
    const bad = tampered(m.snapshot(), edit);
    expect(() => m.restore(bad)).toThrow(CoordinationDecodeError);
    expect(() => m.restore(bad)).toThrow(message);
    expect(Buffer.from(m.snapshot()).equals(before)).toBe(true);
  });

  it('refuses bytes that are not MessagePack', () => {
    const m = new CoordinationStateMachine();
    expect(() => m.restore(new Uint8Array([0x93, 0x01]))).toThrow(
      /snapshot: MessagePack container of 3 items exceeds the input/,
    );
  });
});

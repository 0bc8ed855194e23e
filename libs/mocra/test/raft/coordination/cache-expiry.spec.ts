import { describe, expect, it } from 'vitest';
import { CoordinationCommandError, CoordinationStateMachine } from '../../../src/raft/coordination/index.js';
import { packCoordination, unpackCoordination } from '../../../src/raft/coordination/coordination.msgpack.js';
import { applyCommand } from './support/apply-command.js';

// Far from Date.now on purpose: if the state machine consulted the local clock, every entry would look expired.
const T0 = 5_000;
const v = packCoordination;
const read = (m: CoordinationStateMachine, key: string): unknown => {
  const bytes = m.cacheGet(key);
  return bytes === undefined ? undefined : unpackCoordination(bytes, key);
};

describe('CoordinationStateMachine cache', () => {
  it('expires entries by the clocks carried in commands, never by the local clock or backwards', () => {
    const m = new CoordinationStateMachine();
    applyCommand(m, { op: 'cache.set', at: T0, key: 'k', value: v('x'), ttlMs: 100 });
    expect(read(m, 'k')).toBe('x'); // Date.now() is ~1.7e12, far past T0 + 100: only the replicated clock counts
    applyCommand(m, { op: 'clock', at: T0 + 99 });
    expect(read(m, 'k')).toBe('x');
    applyCommand(m, { op: 'clock', at: T0 + 50 }); // an older proposer clock does not move time back
    expect(m.clock).toBe(T0 + 99);
    applyCommand(m, { op: 'clock', at: T0 + 100 });
    expect(read(m, 'k')).toBeUndefined();
    expect(applyCommand(m, { op: 'cache.setIfAbsent', at: T0 + 20, key: 'k', value: v('y') })).toBe(true);
    expect(read(m, 'k')).toBe('y');
  });

  it('lets a reader hide entries its own clock says expired, without changing the state', () => {
    const m = new CoordinationStateMachine();
    applyCommand(m, { op: 'cache.set', at: T0, key: 'k', value: v(1), ttlMs: 100 });
    expect(m.cacheGet('k', T0 + 100)).toBeUndefined();
    expect(m.cacheGet('k')).toBeDefined();
  });

  it('incr applies the TTL only when it creates the entry and refuses a non-number', () => {
    const m = new CoordinationStateMachine();
    expect(applyCommand(m, { op: 'cache.incr', at: T0, key: 'n', by: 1, ttlMs: 1_000 })).toBe(1);
    expect(applyCommand(m, { op: 'cache.incr', at: T0 + 600, key: 'n', by: 2, ttlMs: 1_000 })).toBe(3);
    expect(applyCommand(m, { op: 'cache.incr', at: T0 + 1_000, key: 'n', by: 1, ttlMs: 1_000 })).toBe(1);
    applyCommand(m, { op: 'cache.set', at: T0 + 1_000, key: 's', value: v('text') });
    expect(() => applyCommand(m, { op: 'cache.incr', at: T0 + 1_000, key: 's', by: 1 })).toThrow(
      CoordinationCommandError,
    );
    expect(read(m, 's')).toBe('text');
  });

  it('compare-and-set compares encoded values, with null for absent and null to delete', () => {
    const m = new CoordinationStateMachine();
    const cas = (expected: unknown, value: unknown): boolean =>
      applyCommand(m, {
        op: 'cache.cas',
        at: T0,
        key: 'k',
        expected: expected === undefined ? null : v(expected),
        value: value === undefined ? null : v(value),
      });
    expect(cas('a', 'b')).toBe(false); // absent, not 'a'
    expect(cas(undefined, 'a')).toBe(true);
    expect(cas(undefined, 'b')).toBe(false);
    expect(cas({ n: 1 }, 'b')).toBe(false);
    expect(cas('a', { n: 1 })).toBe(true);
    expect(cas({ n: 1 }, undefined)).toBe(true);
    expect(read(m, 'k')).toBeUndefined();
  });

  it('applies a batch all or nothing', () => {
    const m = new CoordinationStateMachine();
    applyCommand(m, { op: 'cache.set', at: T0, key: 's', value: v('text') });
    applyCommand(m, { op: 'cache.set', at: T0, key: 'keep', value: v(1) });
    const before = Buffer.from(m.snapshot());
    expect(() =>
      applyCommand(m, {
        op: 'cache.batch',
        at: T0,
        writes: [
          { op: 'set', key: 'new', value: v(1), ttlMs: 50 },
          { op: 'del', key: 'keep' },
          { op: 'incr', key: 'new', by: 1 },
          { op: 'incr', key: 's', by: 1 }, // refused: the whole batch is undone
        ],
      }),
    ).toThrow(/cache\.batch refused: key "s" holds a non-number value/);
    expect(Buffer.from(m.snapshot()).equals(before)).toBe(true);
    const results = applyCommand(m, {
      op: 'cache.batch',
      at: T0,
      writes: [
        { op: 'set', key: 'new', value: v(1), ttlMs: 50 },
        { op: 'del', key: 'keep' },
        { op: 'incr', key: 'new', by: 1 },
      ],
    });
    expect(results).toEqual([null, true, 2]);
    expect(read(m, 'new')).toBe(2);
    expect(read(m, 'keep')).toBeUndefined();
  });

  it('purges expired entries a bounded number per command, earliest first, so snapshots shrink', () => {
    const m = new CoordinationStateMachine();
    for (let i = 0; i < 200; i++) {
      applyCommand(m, {
        op: 'cache.set',
        at: T0,
        key: `k${String(i).padStart(3, '0')}`,
        value: v(i),
        ttlMs: 10 + i,
      });
    }
    applyCommand(m, { op: 'cache.set', at: T0, key: 'forever', value: v(0) });
    const full = m.snapshot().byteLength;
    applyCommand(m, { op: 'clock', at: T0 + 1_000 });
    const stored = (unpackCoordination(m.snapshot(), 'snapshot') as { cache: unknown[][] }).cache.map(
      (r) => r[0],
    );
    // the 64 earliest expiries went first; the rest are still stored, yet already absent to readers
    expect(stored).toEqual([
      'forever',
      ...Array.from({ length: 136 }, (_, i) => `k${String(64 + i).padStart(3, '0')}`),
    ]);
    expect(m.cacheGet('k199')).toBeUndefined();
    applyCommand(m, { op: 'clock', at: T0 + 1_000 });
    applyCommand(m, { op: 'clock', at: T0 + 1_000 });
    applyCommand(m, { op: 'clock', at: T0 + 1_000 });
    expect(m.sizes().cache).toBe(1);
    expect(m.snapshot().byteLength).toBeLessThan(full / 20);
  });
});

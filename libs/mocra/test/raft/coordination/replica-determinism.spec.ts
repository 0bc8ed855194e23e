import { describe, expect, it } from 'vitest';
import {
  CoordinationStateMachine,
  encodeCoordinationCommand,
  type CoordinationCommand,
} from '../../../src/raft/coordination/index.js';
import { packCoordination } from '../../../src/raft/coordination/coordination.msgpack.js';
import { prng } from './support/apply-command.js';

const T0 = 1_700_000_000_000;

/**
 * A random workload over every op with small key spaces (so writes collide and expire), proposer clocks that
 * jitter backwards and forwards, and a few malformed entries.
 */
function workload(seed: number, count: number): Uint8Array[] {
  const rand = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const int = (n: number): number => Math.floor(rand() * n);
  const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'ü', 'k/1', 'k/2'];
  const holders = ['n1', 'n2', 'n3'];
  const value = (): Uint8Array => packCoordination(pick([1, 2.5, 'x', { z: 1, a: [int(5)] }, null, true]));
  const ttl = (): number | undefined => (rand() < 0.5 ? 1 + int(400) : undefined);
  let clock = T0;
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    clock += int(40);
    const at = clock - int(60); // proposers' clocks disagree: some commands carry an older time
    const key = pick(keys);
    const withTtl = <C extends object>(c: C): C => {
      const t = ttl();
      return t === undefined ? c : { ...c, ttlMs: t };
    };
    const commands: CoordinationCommand[] = [
      { op: 'clock', at },
      withTtl({ op: 'cache.set', at, key, value: value() }),
      { op: 'cache.del', at, key },
      withTtl({ op: 'cache.setIfAbsent', at, key, value: value() }),
      withTtl({ op: 'cache.incr', at, key, by: int(5) - 1 }),
      withTtl({ op: 'cache.cas', at, key, expected: rand() < 0.5 ? null : value(), value: value() }),
      {
        op: 'cache.batch',
        at,
        writes: [
          { op: 'set', key: pick(keys), value: value(), ttlMs: 1 + int(300) },
          { op: 'incr', key: pick(keys), by: 1 },
          { op: 'del', key: pick(keys) },
        ],
      },
      { op: 'lock.acquire', at, name: pick(['L1', 'L2']), holder: pick(holders), leaseMs: 1 + int(200) },
      {
        op: 'lock.renew',
        at,
        name: pick(['L1', 'L2']),
        holder: pick(holders),
        token: 1 + int(30),
        leaseMs: 100,
      },
      { op: 'lock.release', at, name: pick(['L1', 'L2']), holder: pick(holders), token: 1 + int(30) },
      {
        op: 'rate.grant',
        at,
        key: pick(['module:m', 'host:h']),
        holder: pick(holders),
        want: 1 + int(10),
        ratePerSec: pick([10, 33.3, 100]),
        burst: 1 + int(3),
        horizonMs: int(1000),
      },
      withTtl({ op: 'status.put', at, key: `run/${key}`, value: value() }),
      { op: 'status.del', at, key: `run/${key}` },
      { op: 'config.put', at, name: key, value: value() },
      { op: 'config.del', at, name: key },
      { op: 'pause.set', at, paused: rand() < 0.5, by: pick(holders), reason: 'r' },
      { op: 'node.register', at, nodeId: pick(holders), address: '127.0.0.1:1' },
      { op: 'node.heartbeat', at, nodeId: pick([...holders, 'ghost']) },
      { op: 'node.remove', at, nodeId: pick(holders) },
      {
        op: 'cron.claim',
        at,
        schedule: pick(['s1', 's2']),
        fireTime: T0 + int(50) * 1000,
        nodeId: pick(holders),
      },
    ];
    const bytes = encodeCoordinationCommand(pick(commands));
    // one entry in fifty is damaged: refused alike on every replica
    out.push(rand() < 0.02 ? bytes.subarray(0, int(bytes.length)) : bytes);
  }
  return out;
}

describe('CoordinationStateMachine replicas', () => {
  it('reach identical snapshot bytes and results from the same log, including one restored midway', () => {
    const log = workload(7, 3000);
    const a = new CoordinationStateMachine();
    const b = new CoordinationStateMachine();
    const c = new CoordinationStateMachine();
    let restored: CoordinationStateMachine | undefined;
    const results: Array<[string, string, string]> = [];
    log.forEach((entry, i) => {
      const ra = a.apply(entry, i + 1);
      const rb = b.apply(entry, i + 1);
      if (i === 1500) {
        // replica C is rebuilt from A's snapshot: a fresh expiry queue and tables filled in key order
        restored = new CoordinationStateMachine();
        restored.restore(a.snapshot());
      }
      const rc = (i > 1500 ? restored! : c).apply(entry, i + 1);
      results.push([
        Buffer.from(ra).toString('hex'),
        Buffer.from(rb).toString('hex'),
        Buffer.from(rc).toString('hex'),
      ]);
    });
    for (const [i, [ra, rb, rc]] of results.entries()) {
      expect(rb, `result of entry ${i}`).toBe(ra);
      expect(rc, `result of entry ${i}`).toBe(ra);
    }
    const snap = Buffer.from(a.snapshot());
    expect(Buffer.from(b.snapshot()).equals(snap)).toBe(true);
    expect(Buffer.from(restored!.snapshot()).equals(snap)).toBe(true);
    // the workload really exercised the tables (a vacuous equality proves nothing)
    const sizes = a.sizes();
    expect(sizes.cron).toBe(2);
    expect(sizes.config + sizes.cache + sizes.status).toBeGreaterThan(0);
  });

  it('gives the same snapshot bytes for the same state built in different orders', () => {
    const first = new CoordinationStateMachine();
    const second = new CoordinationStateMachine();
    const writes = ['x', 'a', 'm'].map((key) => ({
      op: 'config.put' as const,
      at: T0,
      name: key,
      value: packCoordination(key),
    }));
    writes.forEach((w) => first.apply(encodeCoordinationCommand(w), 5));
    [...writes].reverse().forEach((w) => second.apply(encodeCoordinationCommand(w), 5));
    expect(Buffer.from(second.snapshot()).equals(Buffer.from(first.snapshot()))).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import {
  CoordinationClient,
  CoordinationStateMachine,
  RaftRateLimiter,
  RateGrantUnavailableError,
} from '../../../src/raft/coordination/index.js';
import { InProcessPort } from './support/in-process-port.js';

// Unit tests: three RaftRateLimiter instances (three "processes") share one CoordinationStateMachine replica
// through an in-process port; there is no Raft in between, but the timers and the shared buckets are real.
function cluster(holders: number): {
  limiters: RaftRateLimiter[];
  port: InProcessPort;
  client: CoordinationClient;
} {
  const machine = new CoordinationStateMachine();
  const port = new InProcessPort(machine);
  const client = new CoordinationClient(port, machine);
  const limiters = Array.from(
    { length: holders },
    (_, i) => new RaftRateLimiter(client, { holder: `p${i}` }),
  );
  return { limiters, port, client };
}

describe('RaftRateLimiter (unit test, in-process port)', () => {
  it('keeps 3 processes together within rate × t + burst, fetching slots in batches', async () => {
    const rate = 100;
    const { limiters, port, client } = cluster(3);
    const start = client.now();
    const sends: number[] = [];
    const perProcess = [0, 0, 0];
    await Promise.all(
      limiters.map(async (limiter, p) => {
        for (let i = 0; i < 50; i++) {
          const held = limiter.acquireUntilSent([{ key: 'module:m', ratePerSec: rate }]);
          const sent = typeof held === 'function' ? held : await held;
          sends.push(client.now());
          perProcess[p]!++;
          sent();
        }
      }),
    );
    sends.sort((a, b) => a - b);
    // a send never precedes its slot, so the cluster-wide count obeys the bucket's bound (lateness only helps)
    for (let i = 0; i < sends.length; i++) {
      expect(i + 1, `sends by ${sends[i]! - start} ms`).toBeLessThanOrEqual(
        (rate * (sends[i]! - start)) / 1000 + 1,
      );
    }
    expect(perProcess).toEqual([50, 50, 50]);
    // the log carries batches: far fewer grant entries than requests
    expect(port.proposals).toBeLessThan(150 / 3);
  });

  it('takes all keys of a request at once and holds each key until the request is sent', async () => {
    const { limiters, client } = cluster(1);
    const limiter = limiters[0]!;
    const limits = [
      { key: 'host:a', ratePerSec: 50 },
      { key: 'module:m', ratePerSec: 20 },
    ];
    const start = client.now();
    for (let i = 0; i < 6; i++) await limiter.acquireAll(limits);
    // the strictest key (20/s) paces the request: 6 sends need at least 5 intervals of 50 ms
    expect(client.now() - start).toBeGreaterThanOrEqual(250);
    expect(limiter.acquireAll([{ key: 'free', ratePerSec: 0 }])).toBeUndefined();
  });

  it('waits out a cluster without a leader, then fails with a clear error when it lasts too long', async () => {
    const machine = new CoordinationStateMachine();
    const port = new InProcessPort(machine);
    const client = new CoordinationClient(port, machine);
    const limiter = new RaftRateLimiter(client, { grantTimeoutMs: 150 });
    port.failWith = new Error('no leader');
    const waiting = limiter.acquire('host:x', 10);
    setTimeout(() => (port.failWith = undefined), 60);
    await waiting; // recovered: the grant came once proposals went through again
    port.failWith = new Error('no leader');
    const limiter2 = new RaftRateLimiter(client, { grantTimeoutMs: 150 });
    await expect(limiter2.acquire('host:y', 10)).rejects.toThrow(RateGrantUnavailableError);
    await expect(limiter2.acquire('host:y', 10)).rejects.toThrow(
      /rate limit "host:y": no grant .* no leader/,
    );
  });
});

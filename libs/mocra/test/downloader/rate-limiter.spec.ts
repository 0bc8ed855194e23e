import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { LocalRateLimiter } from '../../src/downloader/index.js';

async function take(
  limiter: LocalRateLimiter,
  limits: Array<{ key: string; ratePerSec: number }>,
): Promise<number> {
  const wait = limiter.acquireAll(limits);
  if (wait) await wait;
  return performance.now();
}

describe('LocalRateLimiter', () => {
  it('lets an unlimited key through synchronously', () => {
    const limiter = new LocalRateLimiter();
    for (let i = 0; i < 100; i++) expect(limiter.acquire('free', 0)).toBeUndefined();
  });

  it('spaces the slots of one key by its interval, in call order', async () => {
    const limiter = new LocalRateLimiter();
    const order: number[] = [];
    const times = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        take(limiter, [{ key: 'k', ratePerSec: 40 }]).then((t) => {
          order.push(i);
          return t;
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    const total = times[5]! - times[0]!;
    expect(total).toBeGreaterThanOrEqual(5 * 25 * 0.8);
  });

  it('takes several free keys at once without a promise, so "returned a promise" means "waited"', () => {
    const limiter = new LocalRateLimiter();
    const both = [
      { key: 'host:a', ratePerSec: 5 },
      { key: 'module:m', ratePerSec: 5 },
    ];
    expect(limiter.acquireAll(both)).toBeUndefined();
    expect(limiter.acquireAll(both)).toBeInstanceOf(Promise);
    expect(typeof limiter.acquireUntilSent([{ key: 'other', ratePerSec: 5 }])).toBe('function');
  });

  it('acquireUntilSent holds the key until the send is reported and spaces the next send from that report', async () => {
    const limiter = new LocalRateLimiter({ maxHoldMs: 60_000 });
    const limit = [{ key: 'k', ratePerSec: 20 }];
    const first = limiter.acquireUntilSent(limit);
    if (typeof first !== 'function') throw new Error('a free key must be granted without waiting');
    let secondGranted = false;
    const second = limiter.acquireUntilSent(limit);
    if (typeof second === 'function') throw new Error('a held key must make the next caller wait');
    void second.then(() => (secondGranted = true));
    // Three intervals pass: without the report, the key stays taken (a slow connect must not let the next overtake).
    await new Promise((r) => setTimeout(r, 150));
    expect(secondGranted).toBe(false);
    const reportedAt = performance.now();
    first();
    first(); // a second report is ignored
    const sent = await second;
    // Spaced from the report, not from the grant 150 ms earlier: at least 98% of the 50 ms interval.
    expect(performance.now() - reportedAt).toBeGreaterThanOrEqual(0.98 * 50);
    sent();
  });

  it('acquireUntilSent lets the key go after maxHoldMs when the send is never reported', async () => {
    const limiter = new LocalRateLimiter({ maxHoldMs: 100 });
    const limit = [{ key: 'k', ratePerSec: 100 }];
    const start = performance.now();
    expect(typeof limiter.acquireUntilSent(limit)).toBe('function');
    const next = await limiter.acquireUntilSent(limit);
    expect(performance.now() - start).toBeGreaterThanOrEqual(99);
    next();
  });

  it('keeps keys independent and takes several keys at one instant', async () => {
    const limiter = new LocalRateLimiter();
    await take(limiter, [{ key: 'slow', ratePerSec: 5 }]);
    const done: string[] = [];
    const start = performance.now();
    // "other" is free now; "slow" just sent, so a second slow slot is 200 ms away.
    await Promise.all([
      take(limiter, [{ key: 'slow', ratePerSec: 5 }]).then(() => done.push('slow')),
      take(limiter, [{ key: 'other', ratePerSec: 5 }]).then(() => done.push('other')),
    ]);
    expect(done).toEqual(['other', 'slow']);
    // Both keys at once: waits for both, then both slots are taken at that instant.
    await take(limiter, [
      { key: 'other', ratePerSec: 5 },
      { key: 'slow', ratePerSec: 5 },
    ]);
    expect(performance.now() - start).toBeGreaterThanOrEqual(380);
    const next = performance.now();
    await take(limiter, [{ key: 'other', ratePerSec: 5 }]);
    expect(performance.now() - next).toBeGreaterThanOrEqual(150);
  });
});

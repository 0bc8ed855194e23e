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

import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/common/rate-limiter.js';
import { Semaphore } from '../../src/common/semaphore.js';
import { backoffDelayMs } from '../../src/policy/error-policy.js';

describe('RateLimiter (GCRA)', () => {
  it('spaces reservations at 1/rate and treats 0 as unlimited', () => {
    let now = 1000;
    const limiter = new RateLimiter(10, 1, () => now);
    expect(limiter.reserve()).toBe(0);
    expect(limiter.reserve()).toBe(100);
    expect(limiter.reserve()).toBe(200);
    now += 1000;
    expect(limiter.reserve()).toBe(0);
    const unlimited = new RateLimiter(0, 1, () => now);
    for (let i = 0; i < 100; i++) expect(unlimited.reserve()).toBe(0);
  });

  it('allows a burst, then paces', () => {
    const now = 0;
    const limiter = new RateLimiter(2, 3, () => now);
    expect([limiter.reserve(), limiter.reserve(), limiter.reserve(), limiter.reserve()]).toEqual([
      0, 0, 0, 500,
    ]);
  });
});

describe('Semaphore', () => {
  it('tryAcquire takes a free slot, and never jumps the queue or queues itself', async () => {
    const sem = new Semaphore(1);
    expect(sem.tryAcquire()).toBe(true);
    expect(sem.tryAcquire()).toBe(false);
    const waiting = sem.acquire()!;
    sem.release();
    await waiting;
    // The waiter holds the slot now.
    expect(sem.inUse).toBe(1);
    expect(sem.tryAcquire()).toBe(false);
    sem.releaser();
    expect(sem.inUse).toBe(0);
    expect(sem.tryAcquire()).toBe(true);
  });

  it('caps concurrent holders and hands slots over in FIFO order; a raised limit admits waiters', async () => {
    const sem = new Semaphore(2);
    expect(sem.acquire()).toBeUndefined();
    expect(sem.acquire()).toBeUndefined();
    const got: number[] = [];
    void sem.acquire()!.then(() => got.push(1));
    void sem.acquire()!.then(() => got.push(2));
    void sem.acquire()!.then(() => got.push(3));
    sem.release();
    await Promise.resolve();
    expect(got).toEqual([1]);
    sem.setLimit(4);
    await Promise.resolve();
    expect(got).toEqual([1, 2, 3]);
    expect(sem.inUse).toBe(4);
  });
});

describe('backoff', () => {
  it('computes exponential and linear delays with caps', () => {
    const exp = { type: 'exponential', baseMs: 500, maxMs: 3000 } as const;
    expect([1, 2, 3, 4, 5].map((a) => backoffDelayMs(exp, a))).toEqual([500, 1000, 2000, 3000, 3000]);
    const lin = { type: 'linear', baseMs: 200, maxMs: 500 } as const;
    expect([1, 2, 3].map((a) => backoffDelayMs(lin, a))).toEqual([200, 400, 500]);
  });
});

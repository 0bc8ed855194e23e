import { expect, it } from 'vitest';
import type { CacheService } from '../../src/cache/index.js';

export interface FakeClock {
  now: () => number;
  advance(ms: number): void;
}

export function fakeClock(start = 1_000_000): FakeClock {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/**
 * Behaviour every CacheService must show, run against each implementation (LocalCacheService, RaftCacheService) with
 * a clock the test drives.
 */
export function cacheServiceContract(make: (clock: FakeClock) => CacheService): void {
  it('stores bytes and plain data, and expires entries after their TTL', async () => {
    const clock = fakeClock();
    const cache = make(clock);
    await cache.set('bytes', new Uint8Array([1, 2, 3]), 1_000);
    await cache.set('data', { a: [1, 'x'] });
    expect(await cache.get('bytes')).toEqual(new Uint8Array([1, 2, 3]));
    clock.advance(999);
    expect(await cache.get('bytes')).toBeDefined();
    clock.advance(1);
    expect(await cache.get('bytes')).toBeUndefined();
    expect(await cache.get('data')).toEqual({ a: [1, 'x'] });
    await cache.close();
  });

  it('setIfAbsent stores only over an absent or expired key', async () => {
    const clock = fakeClock();
    const cache = make(clock);
    expect(await cache.setIfAbsent('lock', 'a', 100)).toBe(true);
    expect(await cache.setIfAbsent('lock', 'b', 100)).toBe(false);
    expect(await cache.get('lock')).toBe('a');
    clock.advance(100);
    expect(await cache.setIfAbsent('lock', 'c', 100)).toBe(true);
    expect(await cache.get('lock')).toBe('c');
  });

  it('incr counts from zero and keeps the window set at creation', async () => {
    const clock = fakeClock();
    const cache = make(clock);
    expect(await cache.incr('n', 1, 1_000)).toBe(1);
    clock.advance(600);
    expect(await cache.incr('n', 2, 1_000)).toBe(3);
    clock.advance(400);
    expect(await cache.incr('n', 1, 1_000)).toBe(1);
    await cache.set('s', 'text');
    await expect(cache.incr('s')).rejects.toThrow(/"s".*non-number/);
  });

  it('del reports whether a live key existed; a non-positive TTL never expires', async () => {
    const clock = fakeClock();
    const cache = make(clock);
    await cache.set('a', 1, 10);
    await cache.set('forever', 2, 0);
    await cache.set('c', 3);
    expect(await cache.del('c')).toBe(true);
    expect(await cache.del('c')).toBe(false);
    clock.advance(10);
    expect(await cache.del('a')).toBe(false);
    clock.advance(1e9);
    expect(await cache.get('forever')).toBe(2);
  });
}

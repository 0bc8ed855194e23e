import { describe, expect, it } from 'vitest';
import { LocalCacheService } from '../../src/cache/index.js';
import { cacheServiceContract, fakeClock } from './cache-service.contract.js';

// The behaviour every CacheService shares is the contract (RaftCacheService runs it too); the sweep is local only.
describe('LocalCacheService', () => {
  cacheServiceContract((clock) => new LocalCacheService({ clock: clock.now, sweepIntervalMs: 0 }));

  it('del reports whether a live key existed; sweep drops expired entries nobody reads', async () => {
    const clock = fakeClock();
    const cache = new LocalCacheService({ clock: clock.now, sweepIntervalMs: 0 });
    await cache.set('a', 1, 10);
    await cache.set('b', 2, 10);
    await cache.set('c', 3);
    expect(await cache.del('c')).toBe(true);
    expect(await cache.del('c')).toBe(false);
    clock.advance(10);
    expect(cache.sweep()).toBe(2);
    expect(cache.size).toBe(0);
  });
});

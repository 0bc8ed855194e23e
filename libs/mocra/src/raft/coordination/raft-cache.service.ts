import type { CacheService, CacheValue } from '../../cache/index.js';
import type { CoordinationClient } from './coordination-client.js';

/**
 * CacheService over the replicated state machine (`cache.backend = "raft"`). Writes go through the Raft log, so
 * setIfAbsent and incr are atomic across the cluster and expiry is decided by the replicated clock; `get` is a
 * local read (response cache, robots rules: a value a few ms stale is harmless) that also hides entries this
 * node's clock says have expired.
 */
export class RaftCacheService implements CacheService {
  constructor(private readonly client: CoordinationClient) {}

  get<T extends CacheValue = CacheValue>(key: string): Promise<T | undefined> {
    return this.client.cacheGet<T>(key);
  }

  set(key: string, value: CacheValue, ttlMs?: number): Promise<void> {
    return this.client.cacheSet(key, value, ttlMs);
  }

  del(key: string): Promise<boolean> {
    return this.client.cacheDel(key);
  }

  setIfAbsent(key: string, value: CacheValue, ttlMs?: number): Promise<boolean> {
    return this.client.cacheSetIfAbsent(key, value, ttlMs);
  }

  incr(key: string, by = 1, ttlMs?: number): Promise<number> {
    return this.client.cacheIncr(key, by, ttlMs);
  }

  /** The Raft node belongs to the RaftService, which stops it; the cache holds nothing of its own. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

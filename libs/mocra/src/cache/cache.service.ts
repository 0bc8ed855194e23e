/**
 * Values a cache holds: bytes, or plain data a MessagePack codec can carry (the replicated cache serialises them).
 * Callers must treat a value they got or set as frozen: the local cache keeps references, not copies.
 */
export type CacheValue = Uint8Array | string | number | boolean | null | readonly unknown[] | object;

/**
 * Shared key/value state with expiry: response cache, robots.txt, counters. TTLs are in ms; an absent or <= 0 TTL
 * means the entry never expires. The local implementation lives in this process; the Raft-backed one (later)
 * implements the same contract across the cluster, hence every method is async.
 */
export interface CacheService {
  get<T extends CacheValue = CacheValue>(key: string): Promise<T | undefined>;
  set(key: string, value: CacheValue, ttlMs?: number): Promise<void>;
  /** True when the key existed and was removed. */
  del(key: string): Promise<boolean>;
  /** Stores the value only when the key is absent (or expired); true when it stored it. */
  setIfAbsent(key: string, value: CacheValue, ttlMs?: number): Promise<boolean>;
  /**
   * Adds `by` to a numeric entry (absent = 0) and returns the new value. The TTL applies only when the call
   * creates the entry, so a counter window is not stretched by every increment.
   */
  incr(key: string, by?: number, ttlMs?: number): Promise<number>;
  close(): Promise<void>;
}

interface Entry {
  value: CacheValue;
  /** Epoch ms; Infinity = never. */
  expiresAt: number;
}

export interface LocalCacheServiceOptions {
  /** Interval of the sweep that drops expired entries nobody reads again. Default 60 s; 0 disables it. */
  sweepIntervalMs?: number;
  clock?: () => number;
}

/**
 * In-process CacheService: a Map with lazy expiry on read plus one periodic sweep (unref'd timer), so a million
 * keys cost no timers.
 */
export class LocalCacheService implements CacheService {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: () => number;
  private readonly sweeper: NodeJS.Timeout | undefined;

  constructor(options: LocalCacheServiceOptions = {}) {
    this.clock = options.clock ?? Date.now;
    const every = options.sweepIntervalMs ?? 60_000;
    if (every > 0) {
      this.sweeper = setInterval(() => this.sweep(), every);
      this.sweeper.unref();
    }
  }

  /** Live entries (expired ones still stored until read or swept are counted out). */
  get size(): number {
    const now = this.clock();
    let n = 0;
    for (const e of this.entries.values()) if (e.expiresAt > now) n++;
    return n;
  }

  get<T extends CacheValue = CacheValue>(key: string): Promise<T | undefined> {
    return Promise.resolve(this.live(key)?.value as T | undefined);
  }

  set(key: string, value: CacheValue, ttlMs?: number): Promise<void> {
    this.entries.set(key, { value, expiresAt: this.expiry(ttlMs) });
    return Promise.resolve();
  }

  del(key: string): Promise<boolean> {
    const existed = this.live(key) !== undefined;
    this.entries.delete(key);
    return Promise.resolve(existed);
  }

  setIfAbsent(key: string, value: CacheValue, ttlMs?: number): Promise<boolean> {
    if (this.live(key) !== undefined) return Promise.resolve(false);
    this.entries.set(key, { value, expiresAt: this.expiry(ttlMs) });
    return Promise.resolve(true);
  }

  incr(key: string, by = 1, ttlMs?: number): Promise<number> {
    const entry = this.live(key);
    if (entry === undefined) {
      this.entries.set(key, { value: by, expiresAt: this.expiry(ttlMs) });
      return Promise.resolve(by);
    }
    if (typeof entry.value !== 'number') {
      return Promise.reject(new TypeError(`cache incr: key ${JSON.stringify(key)} holds a non-number value`));
    }
    entry.value += by;
    return Promise.resolve(entry.value);
  }

  /** Drops every expired entry; returns how many. */
  sweep(): number {
    const now = this.clock();
    let dropped = 0;
    for (const [key, e] of this.entries) {
      if (e.expiresAt <= now) {
        this.entries.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  close(): Promise<void> {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.entries.clear();
    return Promise.resolve();
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.clock()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private expiry(ttlMs: number | undefined): number {
    return ttlMs !== undefined && ttlMs > 0 && Number.isFinite(ttlMs) ? this.clock() + ttlMs : Infinity;
  }
}

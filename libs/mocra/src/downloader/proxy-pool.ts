import { setTimeout as sleep } from 'node:timers/promises';

/** A proxy the pool may use. */
export interface ProxyCandidate {
  url: string;
  /** Requests per second through it; <= 0 = no limit. */
  ratePerSec: number;
  /** Epoch ms after which it is no longer used. */
  expiresAt?: number;
}

/** Where a pool refills from (a provider API); called when the pool runs low. */
export type ProxySource = () => Promise<ProxyCandidate[]>;

export interface ProxyPoolOptions {
  name: string;
  /** Consecutive failures after which a proxy is evicted (its error budget). */
  maxErrors: number;
  maxSize: number;
  minSize: number;
  /** Refill when the live count falls below this share of maxSize (or below minSize). */
  refillThreshold: number;
  sources?: ProxySource[];
  /** How long an evicted proxy is refused when a source offers it again. Default 10 min. */
  evictionMemoryMs?: number;
  clock?: () => number;
}

interface ProxyEntry {
  url: string;
  intervalMs: number;
  expiresAt: number;
  nextFreeAt: number;
  inFlight: number;
  successes: number;
  failures: number;
  consecutiveErrors: number;
  avgMs: number;
  /** Order of last use (a counter: many leases share one clock ms). */
  lastUsed: number;
}

/** A proxy handed to one request; report how it went exactly once. */
export interface ProxyLease {
  readonly url: string;
  succeeded(elapsedMs: number): void;
  /** The proxy itself failed (connect/reset/timeout/407): counts against its error budget. */
  failed(): void;
  /** The attempt did not test the proxy (e.g. aborted); frees it without scoring. */
  released(): void;
}

/**
 * A named proxy pool: picks the best-scored proxy that is under its own rate limit (quality score = success rate x
 * 100 - mean latency / 100 - 20 per consecutive error, rounded so near-equal proxies rotate least-recently-used
 * first), evicts a proxy after `maxErrors` consecutive failures and refills from its sources when it runs low.
 * A proxy never has more requests in flight than its remaining error budget, so a dead proxy sees at most
 * `maxErrors` requests before eviction, even under concurrency.
 */
export class ProxyPool {
  readonly name: string;
  private readonly entries = new Map<string, ProxyEntry>();
  private readonly evictedAt = new Map<string, number>();
  private readonly waiters: Array<() => void> = [];
  private readonly clock: () => number;
  private refilling: Promise<void> | undefined;
  private evictions = 0;
  private uses = 0;

  constructor(private readonly opts: ProxyPoolOptions) {
    this.name = opts.name;
    this.clock = opts.clock ?? Date.now;
  }

  /** Live (not expired, not evicted) proxies. */
  get size(): number {
    this.dropExpired();
    return this.entries.size;
  }

  /** Proxies evicted for errors so far. */
  get evicted(): number {
    return this.evictions;
  }

  urls(): string[] {
    return [...this.entries.keys()];
  }

  add(candidates: readonly ProxyCandidate[]): number {
    const now = this.clock();
    const memory = this.opts.evictionMemoryMs ?? 600_000;
    let added = 0;
    for (const c of candidates) {
      if (this.entries.size >= this.opts.maxSize) break;
      if (this.entries.has(c.url)) continue;
      const evictedAt = this.evictedAt.get(c.url);
      if (evictedAt !== undefined && now - evictedAt < memory) continue;
      if (c.expiresAt !== undefined && c.expiresAt <= now) continue;
      this.entries.set(c.url, {
        url: c.url,
        intervalMs: c.ratePerSec > 0 ? 1000 / c.ratePerSec : 0,
        expiresAt: c.expiresAt ?? Infinity,
        nextFreeAt: 0,
        inFlight: 0,
        successes: 0,
        failures: 0,
        consecutiveErrors: 0,
        avgMs: 0,
        lastUsed: 0,
      });
      added++;
    }
    if (added > 0) this.wake();
    return added;
  }

  /**
   * The best proxy available, waiting (without polling) for one whose rate window or error budget frees up.
   * Undefined when the pool is empty even after a refill.
   */
  async lease(signal?: AbortSignal): Promise<ProxyLease | undefined> {
    for (;;) {
      if (signal?.aborted) return undefined;
      this.dropExpired();
      if (this.needsRefill()) {
        const refill = this.refill();
        if (this.entries.size === 0) await refill;
      }
      if (this.entries.size === 0) return undefined;
      const now = this.clock();
      let best: ProxyEntry | undefined;
      let bestScore = -Infinity;
      let soonest = Infinity;
      for (const e of this.entries.values()) {
        if (e.inFlight + e.consecutiveErrors >= this.opts.maxErrors) continue;
        if (e.nextFreeAt > now) {
          soonest = Math.min(soonest, e.nextFreeAt);
          continue;
        }
        const score = Math.round(this.score(e));
        if (score > bestScore || (score === bestScore && best !== undefined && e.lastUsed < best.lastUsed)) {
          best = e;
          bestScore = score;
        }
      }
      if (best !== undefined) return this.take(best, now);
      if (soonest < Infinity) await sleep(Math.max(1, Math.ceil(soonest - now)));
      else await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Fetches from every source now (at most one refill at a time). */
  refill(): Promise<void> {
    const sources = this.opts.sources ?? [];
    if (sources.length === 0) return Promise.resolve();
    this.refilling ??= Promise.allSettled(sources.map((s) => s()))
      .then((results) => {
        for (const r of results) if (r.status === 'fulfilled') this.add(r.value);
      })
      .finally(() => {
        this.refilling = undefined;
      });
    return this.refilling;
  }

  private take(e: ProxyEntry, now: number): ProxyLease {
    e.inFlight++;
    e.lastUsed = ++this.uses;
    if (e.intervalMs > 0) e.nextFreeAt = Math.max(e.nextFreeAt, now) + e.intervalMs;
    let done = false;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      e.inFlight--;
      return true;
    };
    return {
      url: e.url,
      succeeded: (elapsedMs) => {
        if (!finish()) return;
        e.successes++;
        e.consecutiveErrors = 0;
        e.avgMs = e.successes === 1 ? elapsedMs : e.avgMs * 0.8 + elapsedMs * 0.2;
        this.wake();
      },
      failed: () => {
        if (!finish()) return;
        e.failures++;
        e.consecutiveErrors++;
        if (e.consecutiveErrors >= this.opts.maxErrors && this.entries.get(e.url) === e) {
          this.entries.delete(e.url);
          this.evictedAt.set(e.url, this.clock());
          this.evictions++;
          if (this.needsRefill()) void this.refill();
        }
        this.wake();
      },
      released: () => {
        if (finish()) this.wake();
      },
    };
  }

  private score(e: ProxyEntry): number {
    const rate = (e.successes + 1) / (e.successes + e.failures + 1);
    return rate * 100 - e.avgMs / 100 - e.consecutiveErrors * 20;
  }

  private needsRefill(): boolean {
    const n = this.entries.size;
    return n < this.opts.minSize || n < this.opts.maxSize * this.opts.refillThreshold;
  }

  private dropExpired(): void {
    const now = this.clock();
    for (const [url, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(url);
  }

  private wake(): void {
    const waiting = this.waiters.splice(0);
    for (const w of waiting) w();
  }
}

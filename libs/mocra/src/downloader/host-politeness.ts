/** Tunables of the adaptive per-host politeness; the defaults are the documented behaviour. */
export interface HostPolitenessOptions {
  /** Block after a 429 without a usable Retry-After. Default 60 s (the seed's value). */
  defaultRetryAfterMs: number;
  /** Longest block a Retry-After may impose, so a far HTTP date cannot stall a host forever. Default 1 h. */
  maxRetryAfterMs: number;
  /** Rate a host falls back to on its first 503 when nothing limits it. Default 0: unlimited hosts are not throttled. */
  adaptiveStartRate: number;
  /** Lowest adaptive rate. Default 0.1 req/s. */
  minRate: number;
  /** A success at least this long after the last adjustment raises the adaptive rate x1.1. Default 1 s. */
  recoveryWindowMs: number;
  /** Consecutive network errors/timeouts that suspend a host. Default 3. */
  networkErrorsToSuspend: number;
  /** Suspension after those errors. Default 10 s (the seed's value). */
  networkSuspendMs: number;
}

export const DEFAULT_HOST_POLITENESS: HostPolitenessOptions = {
  defaultRetryAfterMs: 60_000,
  maxRetryAfterMs: 3_600_000,
  adaptiveStartRate: 0,
  minRate: 0.1,
  recoveryWindowMs: 1_000,
  networkErrorsToSuspend: 3,
  networkSuspendMs: 10_000,
};

interface HostState {
  blockedUntil: number;
  /** Adaptive ceiling in req/s after 503s; undefined = not throttled. */
  adaptiveRate: number | undefined;
  lastAdjustAt: number;
  networkErrors: number;
}

/**
 * What a host told us about our pace: 429 + Retry-After blocks it (other hosts are unaffected), each 503 halves
 * its rate (at most once per recovery window, floor minRate) and successes raise it x1.1 per window until the
 * configured rate is back; a run of network errors suspends it briefly.
 */
export class HostPoliteness {
  private readonly hosts = new Map<string, HostState>();
  private readonly opts: HostPolitenessOptions;

  constructor(
    options: Partial<HostPolitenessOptions> = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.opts = { ...DEFAULT_HOST_POLITENESS, ...options };
  }

  /** Epoch ms before which nothing may be sent to the host (<= now when it is free). */
  blockedUntil(host: string): number {
    return this.hosts.get(host)?.blockedUntil ?? 0;
  }

  /** The host's rate after adaptation: the lower of the configured one (0 = none) and the adaptive ceiling. */
  effectiveRate(host: string, configured: number): number {
    const adaptive = this.hosts.get(host)?.adaptiveRate;
    if (adaptive === undefined) return configured;
    return configured > 0 ? Math.min(configured, adaptive) : adaptive;
  }

  /** Feeds back an HTTP response. `baseRate` is the fastest rate otherwise applying (0 = none). */
  onResponse(
    host: string,
    status: number,
    headers: Readonly<Record<string, string>>,
    baseRate: number,
  ): void {
    const now = this.clock();
    const retryAfter = headers['retry-after'];
    if (status === 429) {
      const wait = parseRetryAfter(retryAfter, now) ?? this.opts.defaultRetryAfterMs;
      this.block(host, now + Math.min(wait, this.opts.maxRetryAfterMs));
      return;
    }
    if (status === 503) {
      const s = this.state(host);
      const wait = parseRetryAfter(retryAfter, now);
      if (wait !== undefined) this.block(host, now + Math.min(wait, this.opts.maxRetryAfterMs));
      // As in the seed, halving applies to a rate someone set; an unlimited host is not slowed to a made-up rate
      // by scattered 503s (the retries already back off), only by its own Retry-After.
      if (baseRate <= 0 && this.opts.adaptiveStartRate <= 0) return;
      if (s.adaptiveRate === undefined) {
        s.adaptiveRate = Math.max(
          this.opts.minRate,
          (baseRate > 0 ? baseRate : this.opts.adaptiveStartRate) / 2,
        );
        s.lastAdjustAt = now;
      } else if (now - s.lastAdjustAt >= this.opts.recoveryWindowMs) {
        s.adaptiveRate = Math.max(this.opts.minRate, s.adaptiveRate / 2);
        s.lastAdjustAt = now;
      }
      return;
    }
    const s = this.hosts.get(host);
    if (s === undefined) return;
    s.networkErrors = 0;
    if (status < 400 && s.adaptiveRate !== undefined && now - s.lastAdjustAt >= this.opts.recoveryWindowMs) {
      s.adaptiveRate *= 1.1;
      s.lastAdjustAt = now;
      const ceiling = baseRate > 0 ? baseRate : this.opts.adaptiveStartRate;
      if (s.adaptiveRate >= ceiling) s.adaptiveRate = undefined;
    }
    this.forgetIfNeutral(host, s, now);
  }

  /** Feeds back a network error or timeout talking to the host directly (not through a proxy). */
  onNetworkError(host: string): void {
    const s = this.state(host);
    s.networkErrors++;
    if (s.networkErrors >= this.opts.networkErrorsToSuspend) {
      s.networkErrors = 0;
      this.block(host, this.clock() + this.opts.networkSuspendMs);
    }
  }

  private block(host: string, until: number): void {
    const s = this.state(host);
    s.blockedUntil = Math.max(s.blockedUntil, until);
  }

  private state(host: string): HostState {
    let s = this.hosts.get(host);
    if (s === undefined) {
      s = { blockedUntil: 0, adaptiveRate: undefined, lastAdjustAt: 0, networkErrors: 0 };
      this.hosts.set(host, s);
    }
    return s;
  }

  private forgetIfNeutral(host: string, s: HostState, now: number): void {
    if (s.adaptiveRate === undefined && s.blockedUntil <= now && s.networkErrors === 0)
      this.hosts.delete(host);
  }
}

/** Retry-After as ms from now: delay-seconds or an HTTP date; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

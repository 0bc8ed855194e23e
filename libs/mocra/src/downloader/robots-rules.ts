import { createRequire } from 'node:module';
import type { CacheService } from '../cache/cache.service.js';

interface RobotsTxt {
  isAllowed(url: string, ua?: string): boolean | undefined;
  getCrawlDelay(ua?: string): number | undefined;
}

// robots-parser is CommonJS whose typings declare an ES default export; require() gets the function itself.
const robotsParser = createRequire(import.meta.url)('robots-parser') as (
  url: string,
  text: string,
) => RobotsTxt;

/** Fetches an origin's robots.txt: status and body (no politeness gates: one request per origin per TTL). */
export type RobotsFetcher = (robotsUrl: string) => Promise<{ status: number; body: string }>;

export interface RobotsVerdict {
  allowed: boolean;
  /** Crawl-delay in seconds for the agent, if the file sets one. */
  crawlDelaySecs?: number;
}

interface StoredRobots {
  /** Body of a 2xx robots.txt; '' (allow all) for 4xx and unreachable files. */
  text: string;
}

export interface RobotsRulesOptions {
  /** How long a fetched robots.txt is reused. Default 1 h. */
  ttlMs?: number;
  /** How long a robots.txt that could not be fetched (5xx, network) counts as "allow all". Default 5 min. */
  failureTtlMs?: number;
}

/**
 * robots.txt per origin, fetched once and kept in the CacheService (so the cluster shares it later). A missing
 * (4xx) or unreachable file allows everything; an unreachable one is retried sooner.
 */
export class RobotsRules {
  private readonly parsed = new Map<string, { robots: RobotsTxt; text: string }>();
  private readonly inFlight = new Map<string, Promise<string>>();
  private readonly ttlMs: number;
  private readonly failureTtlMs: number;

  constructor(
    private readonly cache: CacheService,
    private readonly fetcher: RobotsFetcher,
    options: RobotsRulesOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 3_600_000;
    this.failureTtlMs = options.failureTtlMs ?? 300_000;
  }

  async check(url: string, userAgent: string): Promise<RobotsVerdict> {
    const origin = new URL(url).origin;
    const text = await this.text(origin);
    let entry = this.parsed.get(origin);
    if (entry === undefined || entry.text !== text) {
      entry = { robots: robotsParser(`${origin}/robots.txt`, text), text };
      this.parsed.set(origin, entry);
    }
    const agent = productToken(userAgent);
    const delay = entry.robots.getCrawlDelay(agent);
    return {
      allowed: entry.robots.isAllowed(url, agent) !== false,
      ...(delay !== undefined && delay > 0 ? { crawlDelaySecs: delay } : {}),
    };
  }

  private async text(origin: string): Promise<string> {
    const key = `robots:${origin}`;
    const cached = await this.cache.get<StoredRobots>(key);
    if (cached !== undefined) return cached.text;
    let pending = this.inFlight.get(origin);
    if (pending === undefined) {
      pending = this.fetchAndStore(origin, key).finally(() => this.inFlight.delete(origin));
      this.inFlight.set(origin, pending);
    }
    return pending;
  }

  private async fetchAndStore(origin: string, key: string): Promise<string> {
    let text = '';
    let ttl = this.ttlMs;
    try {
      const res = await this.fetcher(`${origin}/robots.txt`);
      if (res.status >= 200 && res.status < 300) text = res.body;
      else if (res.status >= 500) ttl = this.failureTtlMs;
    } catch {
      ttl = this.failureTtlMs;
    }
    const stored: StoredRobots = { text };
    await this.cache.set(key, stored, ttl);
    return text;
  }
}

/** "Mozilla/5.0 (compatible; MyBot/1.0)" is matched by robots groups as its product token. */
function productToken(userAgent: string): string {
  const compatible = /compatible;\s*([^/;\s)]+)/i.exec(userAgent);
  if (compatible?.[1]) return compatible[1];
  return userAgent.split(/[/\s]/)[0] || '*';
}

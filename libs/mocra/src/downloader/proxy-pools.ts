import type { ProxyConfig } from '../config/sections/proxy.config.js';
import { parseProxyList } from './proxy-list.js';
import { ProxyPool, type ProxyCandidate, type ProxySource } from './proxy-pool.js';

/** Fetches a provider URL's text; the default uses global fetch with the provider timeout. */
export type ProxyListFetcher = (url: string, timeoutMs: number) => Promise<string>;

const fetchText: ProxyListFetcher = async (url, timeoutMs) => {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`proxy provider ${url} answered HTTP ${res.status}`);
  return res.text();
};

/**
 * The named proxy pools of `[proxy]`: each tunnel, direct proxy and provider joins the pool its `pool` key names
 * ("default" when absent). Tunnels and direct proxies are loaded once; providers refill their pool when it runs
 * low. Every provider is read as a text list (`ip:port[:user:pass]` per line), including the seed's
 * kuaidaili/zhima names.
 */
export class ProxyPools {
  private readonly pools = new Map<string, ProxyPool>();

  constructor(config: ProxyConfig, options: { clock?: () => number; fetcher?: ProxyListFetcher } = {}) {
    const clock = options.clock ?? Date.now;
    const fetcher = options.fetcher ?? fetchText;
    const now = clock();
    const statics = new Map<string, ProxyCandidate[]>();
    const sources = new Map<string, ProxySource[]>();
    const push = <T>(map: Map<string, T[]>, pool: string, item: T): void => {
      const list = map.get(pool) ?? [];
      list.push(item);
      map.set(pool, list);
    };
    for (const t of config.tunnel) {
      push(statics, t.pool ?? 'default', {
        url: tunnelUrl(t.endpoint, t.username, t.password),
        ratePerSec: t.rate_limit,
        ...expiry(t.expire_time),
      });
    }
    for (const d of config.direct) {
      push(statics, d.pool ?? 'default', { url: d.url, ratePerSec: d.rate_limit, ...expiry(d.expire_time) });
    }
    for (const p of config.ip_provider) {
      const providerExpires = expiry(p.provider_expire_time).expiresAt;
      push(sources, p.pool ?? 'default', async () => {
        const at = clock();
        if (providerExpires !== undefined && providerExpires <= at) return [];
        const { urls } = parseProxyList(await fetcher(p.url, p.timeout * 1000));
        const expiresAt = p.proxy_expire_time !== undefined ? at + p.proxy_expire_time * 1000 : undefined;
        return urls.map((url) => ({ url, ratePerSec: p.rate_limit, ...(expiresAt ? { expiresAt } : {}) }));
      });
    }
    const names = new Set([...statics.keys(), ...sources.keys()]);
    for (const name of names) {
      const pc = config.pool_config;
      const pool = new ProxyPool({
        name,
        maxErrors: pc.max_errors,
        maxSize: pc.max_size,
        minSize: pc.min_size,
        refillThreshold: pc.refill_threshold,
        sources: sources.get(name) ?? [],
        clock,
      });
      pool.add((statics.get(name) ?? []).filter((c) => c.expiresAt === undefined || c.expiresAt > now));
      this.pools.set(name, pool);
    }
  }

  get(name: string): ProxyPool | undefined {
    return this.pools.get(name);
  }

  names(): string[] {
    return [...this.pools.keys()];
  }
}

function tunnelUrl(endpoint: string, username?: string, password?: string): string {
  const u = new URL(/^https?:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`);
  if (username !== undefined) u.username = encodeURIComponent(username);
  if (password !== undefined) u.password = encodeURIComponent(password);
  return u.href.replace(/\/$/, '');
}

/** A config expiry (date-time, or an integer of Unix seconds) as epoch ms. */
function expiry(value: string | number | Date | undefined): { expiresAt?: number } {
  if (value === undefined) return {};
  const ms =
    value instanceof Date ? value.getTime() : typeof value === 'number' ? value * 1000 : Date.parse(value);
  return Number.isFinite(ms) ? { expiresAt: ms } : {};
}

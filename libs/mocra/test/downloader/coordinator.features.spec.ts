import { afterEach, describe, expect, it } from 'vitest';
import { DownloadError } from '../../src/downloader/index.js';
import {
  DOWNLOADERS,
  get,
  harness,
  policy,
  startForwardProxy,
  startSite,
  text,
  type ForwardProxy,
  type Harness,
  type Site,
} from './coordinator-fixtures.js';

const open: Array<Site | Harness | ForwardProxy> = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function rejection(p: Promise<unknown>): Promise<DownloadError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DownloadError);
  return err as DownloadError;
}

describe.each(DOWNLOADERS)('DownloadCoordinator with the %s downloader', (_name, make) => {
  describe('proxies', () => {
    it('evicts a proxy that fails every request after its error budget; the crawl completes through the others', async () => {
      const site = await startSite((req, res) => res.end(`page ${req.url}`));
      const good1 = await startForwardProxy();
      const good2 = await startForwardProxy();
      const bad = await startForwardProxy(true);
      const h = harness(make, {
        proxy: {
          direct: [
            { url: bad.url, rate_limit: 0 },
            { url: good1.url, rate_limit: 0 },
            { url: good2.url, rate_limit: 0 },
          ],
          pool_config: { max_errors: 3, min_size: 0 },
        },
      });
      open.push(site, good1, good2, bad, h);
      const p = policy({ proxyPool: 'default', concurrency: 6 });
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => h.coordinator.download(get(`${site.base}/item/${i}`), p)),
      );
      expect(results.map((r) => text(r.body))).toEqual(
        Array.from({ length: 30 }, (_, i) => `page /item/${i}`),
      );
      expect(bad.seen.length).toBeGreaterThan(0);
      expect(bad.seen.length).toBeLessThanOrEqual(3);
      expect(good1.seen.length).toBeGreaterThan(0);
      expect(good2.seen.length).toBeGreaterThan(0);
      expect(good1.seen.length + good2.seen.length).toBe(30);
      expect(good1.seen[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/item\/\d+$/);
    });

    it("lets a request's own proxy win over the module pool", async () => {
      const site = await startSite((_req, res) => res.end('ok'));
      const pooled = await startForwardProxy();
      const own = await startForwardProxy();
      const h = harness(make, { proxy: { direct: [{ url: pooled.url, rate_limit: 0, pool: 'eu' }] } });
      open.push(site, pooled, own, h);
      const req = { ...get(`${site.base}/mine`), proxy: own.url };
      await h.coordinator.download(req, policy({ proxyPool: 'eu' }));
      await h.coordinator.download(get(`${site.base}/pooled`), policy({ proxyPool: 'eu' }));
      expect(own.seen).toEqual([`${site.base}/mine`]);
      expect(pooled.seen).toEqual([`${site.base}/pooled`]);
    });

    it('refills an empty pool from a text-list provider', async () => {
      const site = await startSite((_req, res) => res.end('ok'));
      const proxy = await startForwardProxy();
      const provider = await startSite((_req, res) =>
        res.end(`# fresh\n${new URL(proxy.url).host}\nnot a proxy\n`),
      );
      const h = harness(make, {
        proxy: {
          ip_provider: [{ name: 'list', url: `${provider.base}/list`, rate_limit: 0, pool: 'fetched' }],
        },
      });
      open.push(site, proxy, provider, h);
      const res = await h.coordinator.download(get(`${site.base}/x`), policy({ proxyPool: 'fetched' }));
      expect(res.status).toBe(200);
      expect(provider.arrivals.length).toBe(1);
      expect(proxy.seen).toEqual([`${site.base}/x`]);
    });

    it('fails clearly for a pool [proxy] does not define', async () => {
      const h = harness(make);
      open.push(h);
      const err = await rejection(
        h.coordinator.download(get('http://127.0.0.1:9/x'), policy({ proxyPool: 'nope' })),
      );
      expect(err.kind).toBe('invalid_request');
      expect(err.message).toContain('"nope"');
    });
  });

  describe('response cache', () => {
    it('serves a second run from the cache: zero requests, identical bodies, fromCache', async () => {
      let n = 0;
      const site = await startSite((req, res) => res.end(`${req.url} #${++n}`));
      const h = harness(make);
      open.push(site, h);
      const p = policy({ responseCache: { enabled: true, ttlSecs: 60 } });
      const urls = [0, 1, 2, 3].map((i) => `${site.base}/c/${i}`);
      const first = await Promise.all(urls.map((u) => h.coordinator.download(get(u, 'run-1'), p)));
      expect(site.arrivals.length).toBe(4);
      const second = await Promise.all(urls.map((u) => h.coordinator.download(get(u, 'run-2'), p)));
      expect(site.arrivals.length).toBe(4);
      expect(second.map((r) => text(r.body))).toEqual(first.map((r) => text(r.body)));
      expect(second.every((r) => r.fromCache === true)).toBe(true);
      expect(first.some((r) => r.fromCache === true)).toBe(false);
      const again = get(urls[0]!, 'run-3');
      const hit = await h.coordinator.download(again, p);
      expect(hit.id).toBe(again.id);
      expect(hit.request).toBe(again);
    });

    it('does not cache error statuses, and honours the per-request switch', async () => {
      const site = await startSite((req, res) => {
        res.statusCode = req.url === '/missing' ? 404 : 200;
        res.end('x');
      });
      const h = harness(make);
      open.push(site, h);
      const off = policy();
      await h.coordinator.download({ ...get(`${site.base}/missing`), enableResponseCache: true }, off);
      await h.coordinator.download({ ...get(`${site.base}/missing`), enableResponseCache: true }, off);
      await h.coordinator.download({ ...get(`${site.base}/ok`), enableResponseCache: true }, off);
      await h.coordinator.download({ ...get(`${site.base}/ok`), enableResponseCache: true }, off);
      await h.coordinator.download(get(`${site.base}/ok`), off);
      expect(site.hits('/missing').length).toBe(2);
      expect(site.hits('/ok').length).toBe(2);
    });

    it('is bypassed entirely with download_config.response_cache_bypass', async () => {
      const site = await startSite((_req, res) => res.end('x'));
      const h = harness(make, { download_config: { response_cache_bypass: true } });
      open.push(site, h);
      const p = policy({ responseCache: { enabled: true } });
      await h.coordinator.download(get(`${site.base}/b`, 'r1'), p);
      const res = await h.coordinator.download(get(`${site.base}/b`, 'r2'), p);
      expect(site.arrivals.length).toBe(2);
      expect(res.fromCache).toBeUndefined();
    });
  });

  describe('sessions', () => {
    it('keeps cookies across the requests of a run, with path rules, never across runs, discarded by endRun', async () => {
      let n = 0;
      const site = await startSite((req, res) => {
        if (req.url === '/login') {
          res.setHeader('set-cookie', [`sid=s${++n}; Path=/`, 'admin=1; Path=/admin']);
        }
        res.end(req.headers.cookie ?? '');
      });
      const h = harness(make);
      open.push(site, h);
      const p = policy({ enableSession: true });
      await h.coordinator.download(get(`${site.base}/login`, 'run-1'), p);
      const same = await h.coordinator.download(get(`${site.base}/page`, 'run-1'), p);
      expect(text(same.body)).toBe('sid=s1');
      const admin = await h.coordinator.download(get(`${site.base}/admin/x`, 'run-1'), p);
      expect(text(admin.body).split('; ').sort()).toEqual(['admin=1', 'sid=s1']);
      const merged = await h.coordinator.download(
        { ...get(`${site.base}/page`, 'run-1'), cookies: { lang: 'en' } },
        p,
      );
      expect(text(merged.body).split('; ').sort()).toEqual(['lang=en', 'sid=s1']);
      const otherRun = await h.coordinator.download(get(`${site.base}/page`, 'run-2'), p);
      expect(text(otherRun.body)).toBe('');
      const noSession = await h.coordinator.download(get(`${site.base}/page`, 'run-1'), policy());
      expect(text(noSession.body)).toBe('');
      h.coordinator.endRun('shop', 'run-1');
      const ended = await h.coordinator.download(get(`${site.base}/page`, 'run-1'), p);
      expect(text(ended.body)).toBe('');
    });
  });

  describe('robots.txt', () => {
    it('refuses disallowed URLs without sending them, fetches robots.txt once per host, applies crawl-delay', async () => {
      const site = await startSite((req, res) => {
        if (req.url === '/robots.txt') {
          res.end('User-agent: *\nDisallow: /private\nCrawl-delay: 0.2\n');
          return;
        }
        res.end('ok');
      });
      const h = harness(make);
      open.push(site, h);
      const p = policy({ robotsTxt: true });
      const err = await rejection(h.coordinator.download(get(`${site.base}/private/a`), p));
      expect(err.kind).toBe('robots_disallowed');
      expect(err.retryable).toBe(false);
      expect(err.message).toContain('/private/a');
      await Promise.all([1, 2, 3, 4].map((i) => h.coordinator.download(get(`${site.base}/open/${i}`), p)));
      expect(site.hits('/private/a')).toEqual([]);
      expect(site.hits('/robots.txt').length).toBe(1);
      // Crawl-delay 0.2 s: four pages span three intervals (600 ms); a stall of this process can shorten one
      // interval as measured, so the check keeps one interval of slack.
      const pages = site.arrivals.filter((a) => a.url.startsWith('/open/')).map((a) => a.at);
      expect(pages[3]! - pages[0]!).toBeGreaterThanOrEqual(400);
      // A module without the switch ignores robots.txt.
      await h.coordinator.download(get(`${site.base}/private/b`), policy());
      expect(site.hits('/private/b').length).toBe(1);
    });

    it('allows everything when robots.txt is missing', async () => {
      const site = await startSite((req, res) => {
        res.statusCode = req.url === '/robots.txt' ? 404 : 200;
        res.end('x');
      });
      const h = harness(make);
      open.push(site, h);
      const res = await h.coordinator.download(get(`${site.base}/private`), policy({ robotsTxt: true }));
      expect(res.status).toBe(200);
    });
  });
});

import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { UndiciDownloader } from '../../src/downloader/index.js';
import { get, harness, policy, startSite, type Harness, type Site } from './coordinator-fixtures.js';
import { startStampingSite, type StampingSite } from './stamping-site.js';

const open: Array<Site | Harness | StampingSite> = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

/** Runs `workers` loops that each download `next()` until `until` (performance clock) passes. */
async function crawl(
  h: Harness,
  workers: number,
  until: number,
  next: (i: number) => string,
  p = policy(),
): Promise<{ ok: number; failed: number }> {
  let i = 0;
  let ok = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < until) {
        try {
          await h.coordinator.download(get(next(i++)), p);
          ok++;
        } catch {
          failed++;
        }
      }
    }),
  );
  return { ok, failed };
}

function gaps(times: number[]): number[] {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted.slice(1).map((t, k) => t - sorted[k]!);
}

describe('DownloadCoordinator rate limits', () => {
  /**
   * The acceptance numbers (10 s, 500 +- 5%, no gap under 0.95/50 s measured by the site) are checked by the strict
   * case below, against a site that reads the kernel's receive time of each request (kernel-stamp-site.py): a
   * user-space stamp includes the site process's own wake-up delay, 3-7 ms at times. The spacing then holds even
   * with both cores busy (min gap 19.93-20.0 ms); the count does not, because a crawler starved of CPU loses slots
   * it may not make up faster than the limit. So the strict case runs alone, after the suite (`npm run
   * test:timing`, which .ci/run calls), and the default run checks what load cannot fake: never more than the limit
   * allows, the typical gap at the interval, the spacing at the socket.
   */
  it('holds a module at 50 req/s for 3 s: never above the limit, typical gap at the interval', async () => {
    const site = await startSite((_req, res) => res.end('ok'));
    const h = harness(() => new UndiciDownloader({ poolSize: 16 }));
    open.push(site, h);
    const start = performance.now();
    await crawl(h, 16, start + 3_050, (i) => `${site.base}/p/${i}`, policy({ rateLimit: 50 }));
    const first = site.arrivals[0]!.at;
    const inWindow = site.arrivals.filter((a) => a.at - first < 3_000).length;
    const g = gaps(site.arrivals.map((a) => a.at)).sort((a, b) => a - b);
    expect(inWindow).toBeLessThanOrEqual(Math.ceil(150 * 1.05));
    // A starved process (load 12 on 2 cores measured 100-126 here) loses slots it may not make up closer than
    // 98% of the interval; a limiter spacing at twice the interval (75) still fails this.
    expect(inWindow).toBeGreaterThanOrEqual(Math.floor(150 * 0.6));
    expect(g[Math.floor(g.length / 2)]!).toBeGreaterThanOrEqual((0.95 * 1000) / 50);
  }, 10_000);

  it('spaces sends where they leave: no two request writes closer than 98% of the interval, even on new connections', async () => {
    // `connection: close` makes every request open a new connection, so each write waits for a connect of its own
    // length: a limiter that spaced its grants (not the writes) would let a slow connect push two writes together.
    const site = await startSite((_req, res) => {
      res.setHeader('connection', 'close');
      res.end('ok');
    });
    const h = harness(() => new UndiciDownloader({ poolSize: 16 }));
    open.push(site, h);
    const writes: number[] = [];
    const onWrite = (message: unknown): void => {
      const req = (message as { request: { path: string } }).request;
      if (req.path.startsWith('/w/')) writes.push(performance.now());
    };
    diagnostics.subscribe('undici:client:sendHeaders', onWrite);
    try {
      const start = performance.now();
      await crawl(h, 16, start + 1_500, (i) => `${site.base}/w/${i}`, policy({ rateLimit: 50 }));
    } finally {
      diagnostics.unsubscribe('undici:client:sendHeaders', onWrite);
    }
    expect(writes.length).toBeGreaterThanOrEqual(20);
    expect(site.arrivals.length).toBe(writes.length);
    expect(Math.min(...gaps(writes))).toBeGreaterThanOrEqual(0.98 * 20);
  }, 10_000);

  it.runIf(process.env['MOCRA_STRICT_TIMING'] === '1')(
    'holds a module at 50 req/s for 10 s: 500 +- 5% arrivals, no gap under 0.95/50 s',
    async () => {
      const site = await startStampingSite();
      const h = harness(() => new UndiciDownloader({ poolSize: 16 }));
      open.push(site, h);
      const start = performance.now();
      await crawl(h, 16, start + 10_050, (i) => `${site.base}/p/${i}`, policy({ rateLimit: 50 }));
      const stamps = (await site.stamps()).sort((a, b) => a - b);
      const inWindow = stamps.filter((t) => t - stamps[0]! < 10_000).length;
      const minGap = Math.min(...gaps(stamps));
      // Both numbers in every message: a short count with a sound spacing points at a starved sender.
      const seen = `${inWindow} arrivals in 10 s, min gap ${minGap.toFixed(2)} ms`;
      expect(inWindow, seen).toBeGreaterThanOrEqual(475);
      expect(inWindow, seen).toBeLessThanOrEqual(525);
      expect(minGap, seen).toBeGreaterThanOrEqual((0.95 * 1000) / 50);
    },
    20_000,
  );

  it('applies a per-host rate from [download_config.hosts] shared by two modules, leaving other hosts free', async () => {
    const slow = await startSite((_req, res) => res.end('slow'));
    const fast = await startSite((_req, res) => res.end('fast'));
    const h = harness(() => new UndiciDownloader({ poolSize: 8 }), {
      download_config: { hosts: { [slow.host]: { rate_limit: 10 } } },
    });
    open.push(slow, fast, h);
    const until = performance.now() + 1_000;
    await Promise.all([
      crawl(h, 4, until, (i) => `${slow.base}/a/${i}`, policy({ module: 'a' })),
      crawl(h, 4, until, (i) => `${slow.base}/b/${i}`, policy({ module: 'b' })),
      crawl(h, 4, until, (i) => `${fast.base}/c/${i}`, policy({ module: 'c' })),
    ]);
    // 10 req/s for both modules together: at most 11 in the first second.
    const firstSlow = slow.arrivals[0]!.at;
    expect(slow.arrivals.filter((a) => a.at - firstSlow < 1_000).length).toBeLessThanOrEqual(11);
    expect(slow.hits('/a/0').length + slow.hits('/b/0').length).toBe(2);
    const slowGaps = gaps(slow.arrivals.map((a) => a.at)).sort((a, b) => a - b);
    expect(slowGaps[Math.floor(slowGaps.length / 2)]!).toBeGreaterThanOrEqual(95);
    expect(fast.arrivals.length).toBeGreaterThan(20);
  });

  it('shares a rate_limit_group between modules', async () => {
    const site = await startSite((_req, res) => res.end('ok'));
    const h = harness(() => new UndiciDownloader({ poolSize: 8 }), {
      download_config: { groups: { partners: { rate_limit: 20 } } },
    });
    open.push(site, h);
    const until = performance.now() + 1_000;
    await Promise.all([
      crawl(h, 4, until, (i) => `${site.base}/x/${i}`, policy({ module: 'x', rateLimitGroup: 'partners' })),
      crawl(h, 4, until, (i) => `${site.base}/y/${i}`, policy({ module: 'y', rateLimitGroup: 'partners' })),
    ]);
    const first = site.arrivals[0]!.at;
    const inSecond = site.arrivals.filter((a) => a.at - first < 1_000).length;
    expect(inSecond).toBeLessThanOrEqual(21);
    expect(inSecond).toBeGreaterThanOrEqual(8);
    expect(site.arrivals.some((a) => a.url.startsWith('/x/'))).toBe(true);
    expect(site.arrivals.some((a) => a.url.startsWith('/y/'))).toBe(true);
  });

  it('caps downloads in flight per module', async () => {
    let inFlight = 0;
    let peak = 0;
    const site = await startSite((_req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        res.end('ok');
      }, 30);
    });
    const h = harness(() => new UndiciDownloader({ poolSize: 16 }));
    open.push(site, h);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        h.coordinator.download(get(`${site.base}/c/${i}`), policy({ concurrency: 3 })),
      ),
    );
    expect(site.arrivals.length).toBe(20);
    expect(peak).toBe(3);
  });
});

describe('DownloadCoordinator adaptive politeness', () => {
  it('honours 429 Retry-After: 2 for that host only, while another host keeps flowing', async () => {
    let throttledAt = -1;
    const limited = await startSite((req, res) => {
      if (throttledAt < 0 && req.url === '/item/5') {
        throttledAt = performance.now();
        res.statusCode = 429;
        res.setHeader('retry-after', '2');
        res.end('slow down');
        return;
      }
      res.end('ok');
    });
    const other = await startSite((_req, res) => res.end('ok'));
    const h = harness(() => new UndiciDownloader({ poolSize: 8 }), {
      download_config: { host_rate_limit: 20 },
    });
    open.push(limited, other, h);
    const until = performance.now() + 3_000;
    let seen429 = -1;
    const watch = policy();
    await Promise.all([
      ...Array.from({ length: 4 }, async (_, w) => {
        for (let i = w; performance.now() < until; i += 4) {
          const res = await h.coordinator.download(get(`${limited.base}/item/${i}`), watch);
          if (res.status === 429) seen429 = performance.now();
        }
      }),
      crawl(h, 4, until, (i) => `${other.base}/item/${i}`),
    ]);
    expect(throttledAt).toBeGreaterThan(0);
    expect(seen429).toBeGreaterThan(0);
    // Requests already on the wire when the 429 came back may still land; nothing sent after it may.
    const blocked = limited.arrivals.filter((a) => a.at > seen429 + 20 && a.at < throttledAt + 2_000);
    expect(blocked).toEqual([]);
    expect(limited.arrivals.some((a) => a.at >= throttledAt + 2_000)).toBe(true);
    const otherDuring = other.arrivals.filter((a) => a.at > throttledAt && a.at < throttledAt + 2_000);
    expect(otherDuring.length).toBeGreaterThan(10);
  }, 10_000);

  it('halves a host rate on repeated 503 and returns the 503 to the caller', async () => {
    const site = await startSite((_req, res) => {
      res.statusCode = 503;
      res.end('busy');
    });
    const h = harness(
      () => new UndiciDownloader({ poolSize: 4 }),
      {},
      { politeness: { recoveryWindowMs: 0 } },
    );
    open.push(site, h);
    const p = policy({ rateLimit: 40 });
    const res = await h.coordinator.download(get(`${site.base}/a`), p);
    expect(res.status).toBe(503);
    // 40 -> 20 -> 10 -> 5 req/s after three 503s: the next gaps stretch to ~200 ms.
    await h.coordinator.download(get(`${site.base}/b`), p);
    await h.coordinator.download(get(`${site.base}/c`), p);
    await h.coordinator.download(get(`${site.base}/d`), p);
    const g = gaps(site.arrivals.map((a) => a.at));
    expect(g[2]!).toBeGreaterThanOrEqual(0.95 * 100);
    expect(g[2]!).toBeGreaterThan(g[0]! * 2);
  });
});

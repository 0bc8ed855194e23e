import { afterEach, describe, expect, it } from 'vitest';
import {
  startCatalogSite,
  type CatalogSite,
  type CatalogSiteOptions,
} from '../../src/catalog-site/catalog-site.js';

const sites: CatalogSite[] = [];

async function site(opts: CatalogSiteOptions): Promise<CatalogSite> {
  const s = await startCatalogSite(opts);
  sites.push(s);
  return s;
}

async function status(s: CatalogSite, path: string): Promise<number> {
  const res = await fetch(s.url + path);
  await res.arrayBuffer();
  return res.status;
}

afterEach(async () => {
  await Promise.all(sites.splice(0).map((s) => s.close()));
});

describe('catalog site failures and stats', () => {
  it('failFirstHitEvery: every Nth product answers 503 on its first hit only, others never fail', async () => {
    const s = await site({ products: 12, listPages: 2, failFirstHitEvery: 4 });
    const first: number[] = [];
    for (let id = 1; id <= 12; id++) first.push(await status(s, `/product/${id}`));
    expect(first).toEqual([200, 200, 200, 503, 200, 200, 200, 503, 200, 200, 200, 503]);
    for (const id of [4, 8, 12]) {
      expect(await status(s, `/product/${id}`)).toBe(200);
      expect(await status(s, `/product/${id}`)).toBe(200);
    }
    const stats = s.stats();
    expect(stats.failuresServed).toBe(3);
    expect(stats.totalRequests).toBe(18);
    expect(stats.byPath.get('/product/4')).toBe(3);
    expect(stats.byPath.get('/product/5')).toBe(1);
  });

  it('alwaysFail products answer 500 on every request and are counted as failures', async () => {
    const s = await site({ products: 10, listPages: 1, alwaysFail: [3, 7] });
    for (let i = 0; i < 3; i++) {
      expect(await status(s, '/product/3')).toBe(500);
      expect(await status(s, '/product/7')).toBe(500);
    }
    expect(await status(s, '/product/4')).toBe(200);
    expect(s.stats().failuresServed).toBe(6);
  });

  it('failureRate gives a seeded, replayable sequence of 500s near the rate', async () => {
    const run = async (seed: number): Promise<number[]> => {
      const s = await site({ products: 10, listPages: 1, failureRate: 0.3, seed });
      const out: number[] = [];
      for (let i = 0; i < 60; i++) out.push(await status(s, `/product/${(i % 10) + 1}`));
      return out;
    };
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const failures = a.filter((x) => x === 500).length;
    expect(failures).toBeGreaterThan(5);
    expect(failures).toBeLessThan(35);
    expect(a.every((x) => x === 200 || x === 500)).toBe(true);
  });

  it('stats count every request by path, including 404s, and snapshots do not change later', async () => {
    const s = await site({ products: 5, listPages: 1 });
    await status(s, '/catalog/1');
    await status(s, '/catalog/1?x=1');
    await status(s, '/product/2');
    await status(s, '/missing');
    await status(s, '/robots.txt');
    const before = s.stats();
    expect(before.totalRequests).toBe(5);
    expect(Object.fromEntries(before.byPath)).toEqual({
      '/catalog/1': 2,
      '/product/2': 1,
      '/missing': 1,
      '/robots.txt': 1,
    });
    expect(before.failuresServed).toBe(0);
    await status(s, '/product/2');
    expect(before.totalRequests).toBe(5);
    expect(s.stats().byPath.get('/product/2')).toBe(2);
  });

  it('exposeStats serves the stats as JSON without counting itself', async () => {
    const s = await site({ products: 5, listPages: 1, exposeStats: true, alwaysFail: [1] });
    await status(s, '/product/1');
    await status(s, '/catalog/1');
    const res = await fetch(`${s.url}/__stats`);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual({
      totalRequests: 2,
      byPath: { '/product/1': 1, '/catalog/1': 1 },
      failuresServed: 1,
    });
    expect(s.stats().totalRequests).toBe(2);
  });

  it('close() ends idle keep-alive connections and can be called twice', async () => {
    const s = await startCatalogSite({ products: 3, listPages: 1, delayMs: 0 });
    await status(s, '/product/1');
    await Promise.all([s.close(), s.close()]);
    await expect(fetch(`${s.url}/product/1`)).rejects.toThrow();
  });
});

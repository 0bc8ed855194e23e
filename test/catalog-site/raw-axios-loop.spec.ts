import { afterEach, describe, expect, it } from 'vitest';
import { runRawAxiosLoop, type CatalogShape, type RawProduct } from '../../bench/baseline/raw-axios-loop.js';
import { startCatalogSite, type CatalogSite } from '../../src/catalog-site/catalog-site.js';

const sites: CatalogSite[] = [];

afterEach(async () => {
  await Promise.all(sites.splice(0).map((s) => s.close()));
});

describe('runRawAxiosLoop (benchmark baseline)', () => {
  for (const shape of ['chain', 'wide'] as CatalogShape[]) {
    it(`${shape}: visits every page exactly once and extracts every product of a 500-product site`, async () => {
      const listPages = 10;
      const site = await startCatalogSite({
        products: 500,
        listPages,
        chain: shape === 'chain',
        repeatLinks: true,
      });
      sites.push(site);
      const items: RawProduct[] = [];
      const result = await runRawAxiosLoop({
        baseUrl: site.url,
        concurrency: 8,
        shape,
        listPages,
        onItem: (item) => items.push(item),
      });

      expect(result.pages).toBe(listPages + 500);
      expect(result.items).toBe(500);
      expect(result.failedPages).toBe(0);
      expect(result.elapsedMs).toBeGreaterThan(0);
      expect(result.cpuMs).toBeGreaterThan(0);

      const stats = site.stats();
      expect(stats.totalRequests).toBe(listPages + 500);
      expect(stats.byPath.size).toBe(listPages + 500);
      expect([...stats.byPath.values()].every((n) => n === 1)).toBe(true);

      const byId = new Map(items.map((item) => [Number(/\/product\/(\d+)$/.exec(item.url)?.[1]), item]));
      for (const id of site.productIds()) {
        const { name, price, sku } = byId.get(id) ?? { name: '', price: NaN, sku: '' };
        expect({ id, name, price, sku }).toEqual(site.expectedProduct(id));
      }
    });
  }

  it('retries first-hit 503s so no product is lost', async () => {
    const site = await startCatalogSite({ products: 60, listPages: 3, failFirstHitEvery: 5 });
    sites.push(site);
    const result = await runRawAxiosLoop({
      baseUrl: `${site.url}/`,
      concurrency: 4,
      shape: 'chain',
      listPages: 3,
    });
    expect(result.items).toBe(60);
    expect(result.pages).toBe(63);
    expect(result.retries).toBe(12);
    expect(site.stats().failuresServed).toBe(12);
    expect(site.stats().totalRequests).toBe(63 + 12);
  });
});

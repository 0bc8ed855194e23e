import { load } from 'cheerio';
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

async function get(s: CatalogSite, path: string): Promise<{ status: number; body: string; type: string }> {
  const res = await fetch(s.url + path);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? '' };
}

function hrefs(html: string, selector: string): string[] {
  const $ = load(html);
  return $(selector)
    .map((_, el) => $(el).attr('href') ?? '')
    .get();
}

function productIdsIn(html: string, selector: string): number[] {
  return hrefs(html, selector).map((h) => Number(/^\/product\/(\d+)$/.exec(h)?.[1]));
}

afterEach(async () => {
  await Promise.all(sites.splice(0).map((s) => s.close()));
});

describe('catalog site pages', () => {
  it('spreads products evenly over list pages in order, each product listed once', async () => {
    const s = await site({ products: 23, listPages: 4, repeatLinks: false });
    const seen: number[] = [];
    const sizes: number[] = [];
    for (let p = 1; p <= 4; p++) {
      const page = await get(s, `/catalog/${p}`);
      expect(page.status).toBe(200);
      expect(page.type).toContain('text/html');
      const ids = productIdsIn(page.body, 'ul.products a.product');
      sizes.push(ids.length);
      seen.push(...ids);
    }
    expect(seen).toEqual(s.productIds());
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(s.productIds()).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
  });

  it('chain shape: each list page links to the next one only, the last to none', async () => {
    const s = await site({ products: 30, listPages: 3, chain: true, repeatLinks: false });
    expect(hrefs((await get(s, '/catalog/1')).body, 'a.next')).toEqual(['/catalog/2']);
    expect(hrefs((await get(s, '/catalog/2')).body, 'a.next')).toEqual(['/catalog/3']);
    expect(hrefs((await get(s, '/catalog/3')).body, 'a.next')).toEqual([]);
    expect(hrefs((await get(s, '/catalog/1')).body, 'a.page')).toEqual([]);
  });

  it('wide shape: /catalog/1 links to every other list page, no next links', async () => {
    const s = await site({ products: 30, listPages: 5, chain: false, repeatLinks: false });
    const first = (await get(s, '/catalog/1')).body;
    expect(hrefs(first, 'a.page')).toEqual(['/catalog/2', '/catalog/3', '/catalog/4', '/catalog/5']);
    expect(hrefs(first, 'a.next')).toEqual([]);
    expect(hrefs((await get(s, '/catalog/3')).body, 'a.next, a.page')).toEqual([]);
  });

  it('repeatLinks: list pages link again to products of the previous page, to themselves and page 1', async () => {
    const s = await site({ products: 40, listPages: 4, repeatLinks: true });
    const page1 = (await get(s, '/catalog/1')).body;
    const page3 = (await get(s, '/catalog/3')).body;
    const page2Ids = productIdsIn((await get(s, '/catalog/2')).body, 'ul.products a.product');
    const page3All = productIdsIn(page3, 'a.product');
    const repeated = page3All.filter((id) => page2Ids.includes(id));
    expect(repeated.length).toBeGreaterThan(0);
    expect(new Set(page3All).size).toBe(page3All.length);
    expect(hrefs(page3, 'a.page')).toEqual(expect.arrayContaining(['/catalog/1', '/catalog/3']));
    expect(hrefs(page1, 'a.page')).toContain('/catalog/1');

    const plain = await site({ products: 40, listPages: 4, repeatLinks: false });
    const plainPage3 = productIdsIn((await get(plain, '/catalog/3')).body, 'a.product');
    expect(plainPage3.some((id) => page2Ids.includes(id))).toBe(false);
    expect(hrefs((await get(plain, '/catalog/3')).body, 'a.page')).toEqual([]);
  });

  it('product pages carry what expectedProduct says a parser extracts', async () => {
    const s = await site({ products: 50, listPages: 5 });
    const prices = new Set<number>();
    for (const id of [1, 2, 17, 50]) {
      const page = await get(s, `/product/${id}`);
      expect(page.status).toBe(200);
      const $ = load(page.body);
      const expected = s.expectedProduct(id);
      expect({
        id,
        name: $('h1.name').text(),
        price: Number($('span.price').text()),
        sku: $('span.sku').text(),
      }).toEqual(expected);
      expect($('span.price').text()).toMatch(/^\d+\.\d{2}$/);
      expect($('div.description').text().length).toBeGreaterThan(150);
      expect(page.body.length).toBeGreaterThan(800);
      expect(page.body.length).toBeLessThan(3500);
      prices.add(expected.price);
    }
    expect(prices.size).toBe(4);
    expect(() => s.expectedProduct(51)).toThrow(/no product 51/);
  });

  it('answers robots.txt, and 404 for unknown paths and out-of-range or non-canonical ids', async () => {
    const s = await site({ products: 10, listPages: 2 });
    const robots = await get(s, '/robots.txt');
    expect(robots.status).toBe(200);
    expect(robots.body).toMatch(/^User-agent: \*/);
    for (const path of [
      '/',
      '/nope',
      '/product/0',
      '/product/11',
      '/product/01',
      '/catalog/3',
      '/catalog/x',
    ]) {
      expect((await get(s, path)).status, path).toBe(404);
    }
    expect((await get(s, '/product/10?ref=list')).status).toBe(200);
    expect((await get(s, '/__stats')).status).toBe(404);
  });

  it('keeps connections alive and adds the configured delay', async () => {
    const s = await site({ products: 5, listPages: 1, delayMs: 150 });
    const started = Date.now();
    const res = await fetch(`${s.url}/product/1`);
    await res.text();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(res.headers.get('keep-alive')).toMatch(/timeout=60/);
  });

  it('rejects bad options naming the option', async () => {
    await expect(startCatalogSite({ listPages: 0 })).rejects.toThrow(/listPages/);
    await expect(startCatalogSite({ failureRate: 2 })).rejects.toThrow(/failureRate/);
    await expect(startCatalogSite({ products: -1 })).rejects.toThrow(/products/);
  });
});

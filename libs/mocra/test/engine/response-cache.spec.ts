import 'reflect-metadata';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Test } from '@nestjs/testing';
import {
  CACHE_SERVICE,
  CrawlerModule,
  MocraModule,
  MocraService,
  Next,
  Node,
  ParseOutput,
  Request,
  StoreMiddleware,
  type CacheService,
  type CrawlerNode,
  type DataItem,
  type GenerateContext,
  type Response,
} from '@mocra/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResponseCache } from '../../src/downloader/index.js';

/** A small catalog: /list links to five products; every request the site answers is recorded. */
interface CountingSite {
  base: string;
  hits: string[];
  close(): Promise<void>;
}

async function startCatalog(): Promise<CountingSite> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    const path = req.url ?? '';
    hits.push(path);
    res.setHeader('content-type', 'text/html');
    if (path === '/list') {
      res.end(Array.from({ length: 5 }, (_, i) => `<a class="p" href="/product/${i}">p${i}</a>`).join(''));
      return;
    }
    const m = /^\/product\/(\d)$/.exec(path);
    if (m) {
      res.end(`<h1>Product ${m[1]}</h1><span class="price">${10 + Number(m[1])}</span>`);
      return;
    }
    res.statusCode = 404;
    res.end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let site: CountingSite;
const stored: Array<{ module: string; data: unknown }> = [];

@StoreMiddleware({ name: 'cache-test-memory' })
class MemoryStore {
  store(item: DataItem): void {
    stored.push({ module: item.module, data: item.data });
  }
}

function listRequest(): Request {
  return Request.get(`${site.base}/list`);
}

function productLinks(res: Response): ParseOutput {
  const out = new ParseOutput();
  for (const url of res.links('a.p')) out.withNext('product', { url });
  return out;
}

function productRequest(ctx: GenerateContext<{ url: string }>): Request | null {
  return ctx.input ? Request.get(ctx.input.url) : null;
}

function productItem(res: Response): ParseOutput {
  return new ParseOutput().withData({
    url: res.url,
    title: res.$('h1').text(),
    price: Number(res.$('.price').text()),
  });
}

// The cached module and its control are the same crawl; only the control has no response cache.
@Node('list')
@Next('product')
class CachedList implements CrawlerNode {
  generate = listRequest;
  parse = productLinks;
}
@Node('product')
class CachedProduct implements CrawlerNode<{ url: string }> {
  generate = productRequest;
  parse = productItem;
}
@CrawlerModule({
  name: 'cached-catalog',
  nodes: [CachedList, CachedProduct],
  responseCache: { enabled: true, ttlSecs: 60 },
  storeMiddleware: ['cache-test-memory'],
})
class CachedCatalog {}

@Node('list')
@Next('product')
class PlainList implements CrawlerNode {
  generate = listRequest;
  parse = productLinks;
}
@Node('product')
class PlainProduct implements CrawlerNode<{ url: string }> {
  generate = productRequest;
  parse = productItem;
}
@CrawlerModule({
  name: 'plain-catalog',
  nodes: [PlainList, PlainProduct],
  storeMiddleware: ['cache-test-memory'],
})
class PlainCatalog {}

function itemsOf(module: string): unknown[] {
  return stored
    .filter((s) => s.module === module)
    .map((s) => s.data)
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

describe('response cache across whole crawls (real MocraModule, real site, local cache service)', () => {
  let close: () => Promise<void>;
  let mocra: MocraService;
  let cache: CacheService;

  beforeAll(async () => {
    site = await startCatalog();
    const ref = await Test.createTestingModule({
      imports: [
        MocraModule.forRoot({
          // dedup stays on (the default): the seen-set is per run, and each dispatch is a new run.
          config: { name: 'response-cache-e2e', download_config: { downloader: 'undici' } },
        }),
      ],
      providers: [
        MemoryStore,
        CachedCatalog,
        CachedList,
        CachedProduct,
        PlainCatalog,
        PlainList,
        PlainProduct,
      ],
    }).compile();
    const app = await ref.init();
    mocra = app.get(MocraService);
    cache = app.get<CacheService>(CACHE_SERVICE);
    close = () => app.close();
  });

  afterAll(async () => {
    await close?.();
    await site?.close();
  });

  async function crawl(module: string): Promise<{ runId: string; requests: number; items: unknown[] }> {
    stored.length = 0;
    const before = site.hits.length;
    const summary = await (await mocra.dispatch({ module: [module] })).finished;
    expect(summary.deadLettered).toBe(0);
    expect(summary.items).toBe(5);
    return { runId: summary.runId, requests: site.hits.length - before, items: itemsOf(module) };
  }

  it('a second run within the TTL sends zero requests to the site and yields identical items', async () => {
    const first = await crawl('cached-catalog');
    expect(first.requests).toBe(6);
    expect(first.items).toHaveLength(5);
    expect(first.items[0]).toEqual({ url: `${site.base}/product/0`, title: 'Product 0', price: 10 });

    const second = await crawl('cached-catalog');
    expect(second.runId).not.toBe(first.runId);
    expect(second.requests).toBe(0);
    expect(second.items).toEqual(first.items);
  });

  it('control: the same crawl without the cache hits the site again on its second run', async () => {
    const first = await crawl('plain-catalog');
    const second = await crawl('plain-catalog');
    expect(second.runId).not.toBe(first.runId);
    expect(first.requests).toBe(6);
    expect(second.requests).toBe(6);
    expect(second.items).toEqual(first.items);
  });

  it('serves later runs from the cache service: an entry deleted there is fetched from the site again', async () => {
    await crawl('cached-catalog');
    const listKey = new ResponseCache(cache).key('cached-catalog', Request.get(`${site.base}/list`).toData());
    expect(await cache.del(listKey)).toBe(true);
    const hitsBefore = site.hits.length;
    const third = await crawl('cached-catalog');
    expect(third.requests).toBe(1);
    expect(site.hits.slice(hitsBefore)).toEqual(['/list']);
  });
});

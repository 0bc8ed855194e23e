import 'reflect-metadata';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { MocraService, QUEUE_MANAGER, type QueueManager, type RequestDispatchEnvelope } from '@mocra/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppModule } from '../../src/app.module.js';
import {
  startCatalogSite,
  type CatalogSite,
  type CatalogSiteOptions,
} from '../../src/catalog-site/catalog-site.js';
import type { Product } from '../../src/catalog/catalog-product.node.js';

interface Line {
  module: string;
  requestId: string;
  data: Product;
}

describe('example app crawls a real catalog site end to end', () => {
  let dir: string;
  let site: CatalogSite | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mocra-e2e-'));
  });
  afterEach(async () => {
    await site?.close();
    site = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function crawl(siteOptions: Partial<CatalogSiteOptions>) {
    site = await startCatalogSite({ products: 2000, listPages: 100, ...siteOptions });
    const output = join(dir, 'items.jsonl');
    const app = await NestFactory.createApplicationContext(
      AppModule.register({
        output,
        config: {
          name: 'e2e',
          crawler: { request_max_retries: 3 },
          // Short backoffs keep the test fast; the policy itself is what is exercised.
          policy: {
            overrides: [{ kind: 'Download', backoff: { type: 'exponential', base_ms: 10, max_ms: 50 } }],
          },
          modules: { catalog: { settings: { base: site.url } } },
        },
      }),
      { logger: ['error'] },
    );
    const mocra = app.get(MocraService);
    const queue = app.get<QueueManager>(QUEUE_MANAGER);
    const run = await mocra.dispatch({ module: ['catalog'] });
    const summary = await run.finished;
    const dead = await queue.dlq.list({});
    await app.close();
    const lines = readFileSync(output, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as Line);
    return { summary, lines, dead, stats: site.stats() };
  }

  function expectCorrectItems(lines: Line[], expectedIds: number[]) {
    const ids = lines.map((l) => l.data.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => a - b)).toEqual(expectedIds);
    for (const line of lines) {
      const expected = site!.expectedProduct(line.data.id);
      expect({ name: line.data.name, price: line.data.price, sku: line.data.sku }).toEqual({
        name: expected.name,
        price: expected.price,
        sku: expected.sku,
      });
      expect(line.requestId).toBeTruthy();
    }
  }

  it('collects exactly 2,000 distinct, correct items with 2,100 requests (repeated links deduplicated)', async () => {
    const { summary, lines, dead, stats } = await crawl({});
    expectCorrectItems(
      lines,
      Array.from({ length: 2000 }, (_, i) => i + 1),
    );
    expect(stats.totalRequests).toBe(2100);
    expect(summary.items).toBe(2000);
    expect(summary.pages).toBe(2100);
    expect(summary.duplicates).toBeGreaterThan(0);
    expect(dead.total).toBe(0);
  });

  it('retries every 7th product that answers 503 on its first hit: still 2,000 items', async () => {
    const { summary, lines, stats } = await crawl({ failFirstHitEvery: 7 });
    const failed = Math.floor(2000 / 7);
    expectCorrectItems(
      lines,
      Array.from({ length: 2000 }, (_, i) => i + 1),
    );
    expect(stats.failuresServed).toBe(failed);
    expect(stats.totalRequests).toBe(2100 + failed);
    expect(summary.retries).toBe(failed);
  });

  it('dead-letters a product that always answers 500 after request_max_retries attempts; the run completes', async () => {
    const { summary, lines, dead, stats } = await crawl({ products: 200, listPages: 10, alwaysFail: [42] });
    expectCorrectItems(
      lines,
      Array.from({ length: 200 }, (_, i) => i + 1).filter((id) => id !== 42),
    );
    expect(summary.deadLettered).toBe(1);
    expect(dead.total).toBe(1);
    const record = dead.items[0]!;
    expect(record.reason).toContain('HTTP 500');
    expect(record.reason).toContain('/product/42');
    expect(record.attempt).toBe(3);
    expect(record.sourceRoute).toBe('request');
    expect((record.payload as RequestDispatchEnvelope).request.url).toMatch(/\/product\/42$/);
    expect(stats.byPath.get('/product/42')).toBe(3);
    expect(stats.totalRequests).toBe(210 + 2);
  });

  it('pause: no request reaches the site for 1 s after in-flight work ends; resume completes every item', async () => {
    site = await startCatalogSite({ products: 500, listPages: 25, chain: false, delayMs: 5 });
    const output = join(dir, 'paused.jsonl');
    const app = await NestFactory.createApplicationContext(
      AppModule.register({
        output,
        config: { name: 'pause', modules: { catalog: { settings: { base: site.url } } } },
      }),
      { logger: ['error'] },
    );
    const mocra = app.get(MocraService);
    const queue = app.get<QueueManager>(QUEUE_MANAGER);
    const run = await mocra.dispatch({ module: ['catalog'] });
    while (site.stats().totalRequests < 150) await new Promise((r) => setTimeout(r, 5));
    mocra.pause();
    while (queue.inflight() > 0) await new Promise((r) => setTimeout(r, 5));
    const atRest = site.stats().totalRequests;
    await new Promise((r) => setTimeout(r, 1000));
    expect(site.stats().totalRequests).toBe(atRest);
    expect(atRest).toBeLessThan(525);
    mocra.resume();
    const summary = await run.finished;
    await app.close();
    expect(summary.items).toBe(500);
    expect(site.stats().totalRequests).toBe(525);
  });

  it('pause also holds requests that were waiting for a rate-limit slot: none leaves after the pause', async () => {
    site = await startCatalogSite({ products: 200, listPages: 10, chain: false });
    const output = join(dir, 'paused-rated.jsonl');
    const app = await NestFactory.createApplicationContext(
      AppModule.register({
        output,
        // 64 tasks in flight and 25 req/s: dozens of downloads sit in the limiter when the pause comes
        config: {
          name: 'pause-rated',
          modules: { catalog: { rate_limit: 25, settings: { base: site.url } } },
        },
      }),
      { logger: ['error'] },
    );
    const mocra = app.get(MocraService);
    const run = await mocra.dispatch({ module: ['catalog'] });
    while (site.stats().totalRequests < 30) await new Promise((r) => setTimeout(r, 5));
    mocra.pause();
    // a request already on its way may still land; after that, one second of silence although the limiter had slots
    await new Promise((r) => setTimeout(r, 100));
    const atPause = site.stats().totalRequests;
    await new Promise((r) => setTimeout(r, 1000));
    expect(site.stats().totalRequests).toBe(atPause);
    mocra.resume();
    const summary = await run.finished;
    await app.close();
    expect(summary.items).toBe(200);
    expect(site.stats().totalRequests).toBe(210);
  });
});

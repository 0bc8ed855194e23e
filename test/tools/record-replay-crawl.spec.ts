import 'reflect-metadata';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  JsonlStore,
  MocraModule,
  MocraService,
  QUEUE_MANAGER,
  type Downloader,
  type QueueManager,
} from '@mocra/core';
import { afterAll, describe, expect, it } from 'vitest';
import { CatalogListNode } from '../../src/catalog/catalog-list.node.js';
import { CatalogProductNode, type Product } from '../../src/catalog/catalog-product.node.js';
import { CatalogModule } from '../../src/catalog/catalog.module.js';
import { startCatalogSite } from '../../src/catalog-site/catalog-site.js';
import { RecordingDownloader, ReplayDownloader } from '../../libs/mocra/src/testing/index.js';

@Module({})
class CrawlApp {
  static register(base: string, output: string, downloader: Type<Downloader>): DynamicModule {
    return {
      module: CrawlApp,
      imports: [
        MocraModule.forRoot({
          config: { name: 'replay', modules: { catalog: { settings: { base } } } },
          downloader,
        }),
      ],
      providers: [CatalogModule, CatalogListNode, CatalogProductNode, JsonlStore.provider({ path: output })],
    };
  }
}

async function crawl(base: string, output: string, downloader: Type<Downloader>) {
  const app = await NestFactory.createApplicationContext(CrawlApp.register(base, output, downloader), {
    logger: ['error'],
  });
  const run = await app.get(MocraService).dispatch({ module: ['catalog'] });
  const summary = await run.finished;
  const dead = (await app.get<QueueManager>(QUEUE_MANAGER).dlq.list({})).items;
  await app.close();
  const text = existsSync(output) ? readFileSync(output, 'utf8') : '';
  const items = text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => (JSON.parse(l) as { data: Product }).data)
    .sort((a, b) => a.id - b.id);
  return { summary, items, dead };
}

describe('record a crawl of the example catalog site, replay it with the site stopped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mocra-replay-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('yields the same items from the fixtures, without the network', async () => {
    const site = await startCatalogSite({ products: 50, listPages: 5 });
    const fixtures = join(dir, 'fixtures');
    const recorded = await crawl(site.url, join(dir, 'recorded.jsonl'), RecordingDownloader.into(fixtures));
    const served = site.stats().totalRequests;
    await site.close();

    expect(recorded.items.map((p) => p.id)).toEqual(site.productIds());
    expect(readdirSync(fixtures).filter((f) => f.endsWith('.json'))).toHaveLength(recorded.summary.pages);

    const replayed = await crawl(site.url, join(dir, 'replayed.jsonl'), ReplayDownloader.from(fixtures));
    expect(replayed.dead).toEqual([]);
    expect(replayed.items).toEqual(recorded.items);
    expect(replayed.summary.pages).toBe(recorded.summary.pages);
    expect(site.stats().totalRequests).toBe(served);

    // A parser check against a page that was never recorded fails loudly, naming URL and fixture file.
    const missing = await crawl(
      `${site.url}/elsewhere`,
      join(dir, 'missing.jsonl'),
      ReplayDownloader.from(fixtures),
    );
    expect(missing.items).toEqual([]);
    expect(missing.dead).toHaveLength(1);
    expect(missing.dead[0]!.reason).toContain(`GET ${site.url}/elsewhere/catalog/1`);
    expect(missing.dead[0]!.reason).toContain(`expected fixture file ${fixtures}/`);
  });
});

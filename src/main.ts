import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { MocraService, loadConfig, type RunHandle, type RunSummary } from '@mocra/core';
import { AppModule } from './app.module.js';
import { startCatalogSite, type CatalogSite } from './catalog-site/catalog-site.js';

/**
 * Runs one crawl and exits: `node dist/src/main.js [config.toml]`. With no config it starts the embedded catalog
 * site on a free loopback port and crawls it. Items go to `output/items.jsonl` (MOCRA_OUTPUT overrides).
 */
async function main(): Promise<number> {
  const configPath = process.argv[2] ?? process.env['MOCRA_CONFIG'];
  const output = process.env['MOCRA_OUTPUT'] ?? 'output/items.jsonl';
  let site: CatalogSite | undefined;
  let config: string | Record<string, unknown>;
  if (configPath) {
    config = configPath;
  } else {
    site = await startCatalogSite({ products: 500, listPages: 25 });
    console.log(`embedded catalog site at ${site.url}`);
    config = {
      name: 'example',
      channel_config: { capacity: 10_000, queue_codec: 'msgpack' },
      modules: { catalog: { settings: { base: site.url } } },
    };
  }

  // With a durable queue the crawl resumes after a crash, so earlier items are kept (the store skips repeats).
  const durable = Boolean(loadConfig(config).channel_config.durable_path);
  const app = await NestFactory.createApplicationContext(
    AppModule.register({ config, output, truncateOutput: !durable }),
    { logger: ['error', 'warn', 'log'] },
  );
  app.enableShutdownHooks();
  const mocra = app.get(MocraService);
  const resumed = mocra.activeRuns()[0];
  const run: RunHandle = resumed
    ? mocra.runHandle(resumed.runId)!
    : await mocra.dispatch({ module: ['catalog'] });
  if (resumed) console.log(`resuming run ${run.runId} from the durable queue`);
  const started = Date.now();
  let lastPages = 0;
  const progress = setInterval(() => {
    const s = mocra.stats();
    const rate = s.pages - lastPages;
    lastPages = s.pages;
    console.log(
      `[progress] pages=${s.pages} items=${s.items} pages/s=${rate} errors=${s.errors} retries=${s.retries} ` +
        `dlq=${s.deadLettered} queue=${s.queueDepth} inflight=${s.inflight}`,
    );
  }, 1000);
  const summary: RunSummary = await run.finished;
  clearInterval(progress);
  const secs = (Date.now() - started) / 1000;
  console.log(
    `[summary] run=${summary.runId} pages=${summary.pages} items=${summary.items} errors=${summary.errors} ` +
      `retries=${summary.retries} dlq=${summary.deadLettered} duplicates=${summary.duplicates} ` +
      `time=${secs.toFixed(2)}s pages/s=${(summary.pages / Math.max(secs, 0.001)).toFixed(0)} output=${output}`,
  );
  await app.close();
  await site?.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);

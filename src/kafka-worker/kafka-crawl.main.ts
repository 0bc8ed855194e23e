import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { MocraService } from '@mocra/core';
import { KafkaCrawlApp, type KafkaCrawlModule } from './kafka-crawl.app.js';
import { NodeCounters } from './node-counters.js';

/**
 * One process of a crawl shared through Kafka: `node dist/src/kafka-worker/kafka-crawl.main.js <config.toml>
 * [--drive] [--module catalog|render_catalog]`. The config's `[crawler] roles` decide the stages it runs.
 *
 * With --drive it dispatches one run of the module, waits until every process's work on it is reported done, prints
 * `[summary] {...}` and exits 0. Without, it serves until SIGTERM. Either way it prints `[progress] {...}` every
 * second with its own counters (engine stats and how often each node ran here). Items go to MOCRA_OUTPUT.
 */
async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const config = args.find((a) => !a.startsWith('--'));
  if (config === undefined)
    throw new Error('usage: kafka-crawl.main.js <config.toml> [--drive] [--module name]');
  const moduleFlag = args.indexOf('--module');
  const module = (moduleFlag >= 0 ? args[moduleFlag + 1] : 'catalog') as KafkaCrawlModule;
  if (module !== 'catalog' && module !== 'render_catalog') {
    throw new Error(`--module: expected "catalog" or "render_catalog", got ${JSON.stringify(module)}`);
  }
  const drive = args.includes('--drive');
  const output = process.env['MOCRA_OUTPUT'] ?? 'output/kafka-items.jsonl';

  const app = await NestFactory.createApplicationContext(KafkaCrawlApp.register({ config, output, module }), {
    logger: ['error', 'warn', 'log'],
  });
  const mocra = app.get(MocraService);
  const progress = (): void => {
    const s = mocra.stats();
    console.log(
      `[progress] ${JSON.stringify({ pages: s.pages, items: s.items, errors: s.errors, nodes: NodeCounters.snapshot() })}`,
    );
  };
  const timer = setInterval(progress, 1000);
  console.log('[ready]');
  if (!drive) {
    // Served until SIGTERM: closing the app finishes in-flight work; the last progress line is the final count.
    process.once('SIGTERM', () => {
      clearInterval(timer);
      void app.close().then(() => {
        progress();
        process.exit(0);
      });
    });
    return new Promise<number>(() => undefined);
  }
  const started = Date.now();
  const run = await mocra.dispatch({ module: [module] });
  const summary = await run.finished;
  clearInterval(timer);
  progress();
  console.log(
    `[summary] ${JSON.stringify({ ...summary, modules: undefined, wallMs: Date.now() - started })}`,
  );
  await app.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);

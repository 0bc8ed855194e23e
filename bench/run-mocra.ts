import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { MocraService } from '@mocra/core';
import { AppModule } from '../src/app.module.js';
import { measure, report } from './bench-result.js';

// Child process: the example app (the public API, as a user writes it) over the site at argv[2].
// `retry`: "seed" keeps the built-in policy (a failed download waits 500 ms, doubling, before it is tried again);
// "immediate" retries it at once, as the raw loop and Crawlee do, through a `[[policy.overrides]]` entry.
const [baseUrl, concurrency, downloader = 'axios', queue = 'memory', retry = 'seed'] = process.argv.slice(2);
if (retry !== 'seed' && retry !== 'immediate')
  throw new Error(`retry must be seed or immediate, got ${retry}`);
const work = mkdtempSync(join(tmpdir(), 'mocra-bench-'));
const output = join(work, 'items.jsonl');
const app = await NestFactory.createApplicationContext(
  AppModule.register({
    output,
    config: {
      name: 'bench',
      crawler: { task_concurrency: Number(concurrency) },
      download_config: { downloader },
      ...(retry === 'immediate'
        ? { policy: { overrides: [{ kind: 'Download', backoff: { type: 'none' } }] } }
        : {}),
      ...(queue === 'durable' ? { channel_config: { durable_path: join(work, 'queue') } } : {}),
      modules: { catalog: { concurrency: Number(concurrency), settings: { base: baseUrl } } },
    },
  }),
  { logger: ['error', 'warn'] },
);
const mocra = app.get(MocraService);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const run = await mocra.dispatch({ module: ['catalog'] });
const summary = await run.finished;
const elapsed = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
await app.close();
rmSync(work, { recursive: true, force: true });
report(
  measure(
    `mocra (${downloader} downloader, ${queue} queue${retry === 'immediate' ? ', immediate retries' : ''})`,
    summary.pages,
    summary.items,
    elapsed,
    cpu,
  ),
);
process.exit(0);

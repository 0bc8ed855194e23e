import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULT_PREFIX, type BenchResult } from './bench-result.js';

/**
 * `npm run bench`: the catalog site in its own process, then each contender in its own process (so CPU and peak
 * RSS are its own) over the same site, in the same run. Prints pages/s, CPU ms per page, peak RSS and the ratio to
 * the raw axios loop, and appends the table to bench/RESULTS.md.
 */
const here = dirname(fileURLToPath(import.meta.url));
const products = Number(process.env['BENCH_PRODUCTS'] ?? 10_000);
const listPages = Number(process.env['BENCH_LIST_PAGES'] ?? Math.max(1, Math.round(products / 20)));
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 64);
const shape = (process.env['BENCH_SHAPE'] ?? 'wide') as 'wide' | 'chain';

function runNode(script: string, args: string[], onLine?: (line: string) => void) {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let buffer = '';
  const lines: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let i;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      lines.push(line);
      onLine?.(line);
    }
  });
  const done = new Promise<string[]>((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0 || code === null ? resolve(lines) : reject(new Error(`${script} exited ${code}`)),
    ),
  );
  return { child, done };
}

async function contender(script: string, args: string[]): Promise<BenchResult> {
  const lines = await runNode(join(here, script), args).done;
  const line = lines.find((l) => l.startsWith(RESULT_PREFIX));
  if (!line) throw new Error(`${script} printed no result`);
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as BenchResult;
}

const siteOptions = JSON.stringify({ products, listPages, chain: shape === 'chain' });
let siteUrl = '';
const site = spawn(process.execPath, [join(here, '../src/catalog-site/catalog-site.main.js')], {
  env: { ...process.env, CATALOG_SITE_OPTIONS: siteOptions },
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise<void>((resolve, reject) => {
  site.stdout.on('data', (chunk: Buffer) => {
    const m = /CATALOG_SITE_READY (\S+)/.exec(chunk.toString());
    if (m) {
      siteUrl = m[1]!;
      resolve();
    }
  });
  site.on('exit', () => reject(new Error('catalog site exited before it was ready')));
});

try {
  console.log(
    `catalog site ${siteUrl}: ${products} products, ${listPages} list pages, shape ${shape}, concurrency ${concurrency}`,
  );
  const results: BenchResult[] = [];
  const loop = [siteUrl, String(concurrency), shape, String(listPages)];
  results.push(await contender('run-raw-axios.js', [...loop, 'axios']));
  results.push(await contender('run-raw-axios.js', [...loop, 'undici']));
  results.push(await contender('run-mocra.js', [siteUrl, String(concurrency), 'axios', 'memory']));
  results.push(await contender('run-mocra.js', [siteUrl, String(concurrency), 'undici', 'memory']));
  results.push(await contender('run-mocra.js', [siteUrl, String(concurrency), 'axios', 'durable']));
  const base = results[0]!;
  const basePps = base.pages / (base.elapsedMs / 1000);
  const rows = results.map((r) => {
    const pps = r.pages / (r.elapsedMs / 1000);
    return `| ${r.name} | ${r.pages} | ${pps.toFixed(0)} | ${(r.cpuMs / r.pages).toFixed(3)} | ${r.peakRssMb.toFixed(0)} | ${(pps / basePps).toFixed(2)} |`;
  });
  const table = [
    '| contender | pages | pages/s | CPU ms/page | peak RSS MB | ratio to raw axios |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  console.log(table);
  const header = `\n## ${new Date().toISOString().slice(0, 10)} — \`npm run bench\` (${products} products, ${shape}, concurrency ${concurrency}; ${cpus().length} cores, Node ${process.version})\n\n`;
  appendFileSync(join(here, '../../bench/RESULTS.md'), header + table + '\n');
} finally {
  site.kill('SIGTERM');
}

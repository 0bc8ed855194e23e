import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnCatalogSite } from './baseline/catalog-site.process.js';
import { RESULT_PREFIX, type BenchResult } from './bench-result.js';
import { evaluateTargets, type Measured, type Scenario } from './bench-targets.js';

/**
 * `npm run bench`: every contender in its own process (so CPU and peak RSS are its own) against a fresh catalog
 * site in another process, all in the same run, so ratios between rows compare like with like. Prints one table
 * per scenario (scale, shape, failure rate) and the issue-12 targets met or not, and appends both to
 * bench/RESULTS.md.
 *
 * Env: BENCH_PRODUCTS (10000), BENCH_SHAPE (all | wide | chain), BENCH_CONCURRENCY (64), BENCH_SCALES (extra
 * product counts run for mocra only, default "100000"; "" for none), BENCH_FAIL_EVERY (10: every 10th product
 * answers 503 once; 0 for no failure scenario), BENCH_CONTENDERS (comma list of keys, default all),
 * BENCH_REPEAT (rounds over the contenders; each row keeps its median run by pages/s; default 1).
 *
 * "× raw axios, by CPU/page" is the pages/s ratio two contenders would have if both were CPU-bound (as they are on
 * a 2-core box where the site takes the other core): less disturbed by other processes than the wall-clock ratio.
 */
const here = dirname(fileURLToPath(import.meta.url));

interface Contender {
  key: string;
  script: string;
  args: (site: string, s: Scenario) => string[];
}

const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 64);
const loopArgs = (site: string, s: Scenario): string[] => [
  site,
  String(concurrency),
  s.shape,
  String(s.listPages),
];
const CONTENDERS: readonly Contender[] = [
  { key: 'raw-axios', script: 'run-raw-axios.js', args: (u, s) => [...loopArgs(u, s), 'axios'] },
  { key: 'raw-undici', script: 'run-raw-axios.js', args: (u, s) => [...loopArgs(u, s), 'undici'] },
  { key: 'crawlee', script: 'run-crawlee.js', args: loopArgs },
  // With failures, mocra retries at once like the raw loop it is compared with; the seed's backoff is its own row.
  {
    key: 'mocra-axios',
    script: 'run-mocra.js',
    args: (u, s) => [u, String(concurrency), 'axios', 'memory', s.failEvery > 0 ? 'immediate' : 'seed'],
  },
  {
    key: 'mocra-undici',
    script: 'run-mocra.js',
    args: (u, s) => [u, String(concurrency), 'undici', 'memory', s.failEvery > 0 ? 'immediate' : 'seed'],
  },
  {
    key: 'mocra-undici-seed-backoff',
    script: 'run-mocra.js',
    args: (u) => [u, String(concurrency), 'undici', 'memory', 'seed'],
  },
  {
    key: 'mocra-axios-durable',
    script: 'run-mocra.js',
    args: (u) => [u, String(concurrency), 'axios', 'durable'],
  },
];

function positiveInt(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

const products = positiveInt('BENCH_PRODUCTS', process.env['BENCH_PRODUCTS'] ?? '10000');
const shapeEnv = process.env['BENCH_SHAPE'] ?? 'all';
if (!['all', 'wide', 'chain'].includes(shapeEnv)) {
  throw new Error(`BENCH_SHAPE must be all, wide or chain, got ${JSON.stringify(shapeEnv)}`);
}
const shapes: Array<'wide' | 'chain'> =
  shapeEnv === 'all' ? ['wide', 'chain'] : [shapeEnv as 'wide' | 'chain'];
const extraScales = (process.env['BENCH_SCALES'] ?? '100000')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '')
  .map((s) => positiveInt('BENCH_SCALES', s))
  .filter((n) => n !== products);
const failEvery = Number(process.env['BENCH_FAIL_EVERY'] ?? 10);
if (!Number.isInteger(failEvery) || failEvery < 0) {
  throw new Error(
    `BENCH_FAIL_EVERY must be an integer >= 0, got ${JSON.stringify(process.env['BENCH_FAIL_EVERY'])}`,
  );
}
const repeat = positiveInt('BENCH_REPEAT', process.env['BENCH_REPEAT'] ?? '1');
const only = process.env['BENCH_CONTENDERS']?.split(',').map((s) => s.trim());
for (const key of only ?? []) {
  if (!CONTENDERS.some((c) => c.key === key)) {
    throw new Error(
      `BENCH_CONTENDERS: unknown contender ${JSON.stringify(key)} (known: ${CONTENDERS.map((c) => c.key).join(', ')})`,
    );
  }
}
const listPagesFor = (n: number): number => Math.max(1, Math.round(n / 20));

function runNode(script: string, args: string[]): Promise<string[]> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let buffer = '';
  const lines: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let i;
    while ((i = buffer.indexOf('\n')) >= 0) {
      lines.push(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
    }
  });
  return new Promise<string[]>((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0 ? resolve(lines) : reject(new Error(`${script} ${args.join(' ')} exited with ${code}`)),
    ),
  );
}

/** One contender once, against a site of its own: a failing-once product must fail for every contender. */
async function runOnce(c: Contender, s: Scenario): Promise<BenchResult> {
  const site = await spawnCatalogSite({
    products: s.products,
    listPages: s.listPages,
    chain: s.shape === 'chain',
    failFirstHitEvery: s.failEvery,
  });
  try {
    const lines = await runNode(join(here, c.script), c.args(site.url, s));
    const line = lines.find((l) => l.startsWith(RESULT_PREFIX));
    if (!line) throw new Error(`${c.script} printed no result`);
    return JSON.parse(line.slice(RESULT_PREFIX.length)) as BenchResult;
  } finally {
    await site.stop();
  }
}

const pps = (r: BenchResult): number => r.pages / (r.elapsedMs / 1000);

function median(runs: BenchResult[]): BenchResult {
  const sorted = [...runs].sort((a, b) => pps(a) - pps(b));
  return sorted[Math.floor(sorted.length / 2)]!;
}

const scenarios: Array<{ scenario: Scenario; keys: string[] }> = [];
const all = CONTENDERS.map((c) => c.key);
for (const shape of shapes) {
  scenarios.push({
    scenario: { products, listPages: listPagesFor(products), shape, failEvery: 0 },
    keys: all.filter((k) => k !== 'mocra-undici-seed-backoff'),
  });
}
for (const n of extraScales) {
  scenarios.push({
    scenario: { products: n, listPages: listPagesFor(n), shape: 'wide', failEvery: 0 },
    keys: ['mocra-axios', 'mocra-undici'],
  });
}
if (failEvery > 0) {
  scenarios.push({
    scenario: { products, listPages: listPagesFor(products), shape: 'wide', failEvery },
    keys: ['raw-axios', 'mocra-axios', 'mocra-undici', 'mocra-undici-seed-backoff'],
  });
}

const scenarioTitle = (s: Scenario): string =>
  `${s.products} products, ${s.shape}${s.failEvery > 0 ? `, every ${s.failEvery}th product fails once (503)` : ''}`;

const started = performance.now();
const load0 = loadavg();
const measured: Measured[] = [];
const sections: string[] = [];
for (const { scenario, keys } of scenarios) {
  const expectedPages = scenario.products + scenario.listPages;
  console.log(`\n${scenarioTitle(scenario)} (expect ${expectedPages} pages, ${scenario.products} items)`);
  const chosen = CONTENDERS.filter((c) => keys.includes(c.key) && (!only || only.includes(c.key)));
  const runs = new Map<string, BenchResult[]>(chosen.map((c) => [c.key, []]));
  // With failures, each run is paired with a clean run of the same contender just before it, and the row keeps
  // the pair with the median ratio: a clean row measured minutes earlier would charge load drift to the failures.
  const cleanRuns = new Map<string, BenchResult[]>(chosen.map((c) => [c.key, []]));
  const paired = scenario.failEvery > 0;
  const log = (r: BenchResult, note = ''): void =>
    console.log(
      `  ${r.name}${note}: ${r.pages} pages, ${r.items} items, ${pps(r).toFixed(0)} pages/s, ` +
        `${(r.cpuMs / r.pages).toFixed(3)} CPU ms/page, ${r.peakRssMb.toFixed(0)} MB`,
    );
  // Rounds interleave the contenders, so a burst of load from elsewhere hits all of them rather than one.
  for (let round = 0; round < repeat; round++) {
    for (const c of chosen) {
      if (paired) {
        const clean = await runOnce(c, { ...scenario, failEvery: 0 });
        cleanRuns.get(c.key)!.push(clean);
        log(clean, ' (no failures)');
      }
      const r = await runOnce(c, scenario);
      runs.get(c.key)!.push(r);
      log(r);
    }
  }
  const rows = chosen.map((c) => {
    const failing = runs.get(c.key)!;
    if (!paired) return { key: c.key, r: median(failing) };
    const pairs = failing.map((r, i) => ({ r, clean: cleanRuns.get(c.key)![i]! }));
    pairs.sort((a, b) => pps(a.r) / pps(a.clean) - pps(b.r) / pps(b.clean));
    const mid = pairs[Math.floor(pairs.length / 2)]!;
    return { key: c.key, r: mid.r, clean: mid.clean };
  });
  for (const { key, r, clean } of rows) {
    measured.push({ key, scenario, result: r, ...(clean ? { pairedClean: clean } : {}) });
  }
  const base = rows.find((x) => x.key === 'raw-axios')?.r;
  const ratio = (r: BenchResult, f: (x: BenchResult) => number): string =>
    base ? (f(r) / f(base)).toFixed(2) : '–';
  const table = [
    `### ${scenarioTitle(scenario)}`,
    '',
    '| contender | pages | items | pages/s | CPU ms/page | peak RSS MB | × raw axios | × raw axios, by CPU/page |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.flatMap(({ r, clean }) => {
      const row = (x: BenchResult, note: string): string => {
        const complete = x.pages === expectedPages && x.items === scenario.products;
        return (
          `| ${x.name}${note} | ${x.pages}${complete ? '' : ' (incomplete!)'} | ${x.items} | ` +
          `${pps(x).toFixed(0)} | ${(x.cpuMs / x.pages).toFixed(3)} | ${x.peakRssMb.toFixed(0)} | ` +
          `${ratio(x, pps)} | ${ratio(x, (y) => y.pages / y.cpuMs)} |`
        );
      };
      return clean ? [row(clean, ', no failures (paired run)'), row(r, '')] : [row(r, '')];
    }),
  ].join('\n');
  sections.push(table);
}
const minutes = (performance.now() - started) / 60_000;
const load1 = loadavg();
const targets = evaluateTargets(measured, products);

const cpu = cpus();
const env = [
  'BENCH_PRODUCTS',
  'BENCH_SHAPE',
  'BENCH_CONCURRENCY',
  'BENCH_SCALES',
  'BENCH_FAIL_EVERY',
  'BENCH_CONTENDERS',
  'BENCH_REPEAT',
]
  .filter((k) => process.env[k] !== undefined)
  .map((k) => `${k}=${process.env[k]}`)
  .join(' ');
const header =
  `\n## ${new Date().toISOString().slice(0, 10)} — \`${env ? `${env} ` : ''}npm run bench\`\n\n` +
  `Machine: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}, concurrency ` +
  `${concurrency}, ${repeat} run(s) per row. Load average ${load0[0]!.toFixed(2)} at the start and ` +
  `${load1[0]!.toFixed(2)} at the end; the whole run took ${minutes.toFixed(1)} min.\n`;
const report =
  [header, ...sections, `### Issue-12 targets\n\n${targets.map((t) => `- ${t}`).join('\n')}`].join('\n\n') +
  '\n';
console.log(report);
appendFileSync(join(here, '../../bench/RESULTS.md'), report);

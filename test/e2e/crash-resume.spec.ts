import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCatalogSite, type CatalogSite } from '../../src/catalog-site/catalog-site.js';
import { ensureBuilt, repoRoot } from '../support/ensure-built.js';

const PRODUCTS = 5000;
const LIST_PAGES = 250;
// The site answers each request after SITE_DELAY_MS, so a crawl cannot outrun the kill points: at most
// CONCURRENCY / SITE_DELAY_MS requests per ms (1,600 pages/s, 3.3 s for the whole site). At 64 and 2 ms a child
// resumed late in the crawl could finish between two polls and never be killed.
const CONCURRENCY = 16;
const SITE_DELAY_MS = 10;

interface Child {
  proc: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

function startApp(configPath: string, itemsPath: string): Child {
  const proc = spawn(process.execPath, [join(repoRoot, 'dist/src/main.js'), configPath], {
    env: { ...process.env, MOCRA_OUTPUT: itemsPath },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  proc.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
  proc.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, output, exited };
}

async function waitForPages(child: Child, atLeast: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const pages = [...child.output.join('').matchAll(/\[progress\] pages=(\d+)/g)].map((m) => Number(m[1]));
    if ((pages.at(-1) ?? 0) >= atLeast) return;
    if (child.proc.exitCode !== null) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function readItems(path: string): Array<{ requestId: string; data: { id: number } }> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as { requestId: string; data: { id: number } });
}

describe('crash and resume with the durable queue (real kill -9, real restart)', () => {
  let site: CatalogSite;
  let dir: string;

  beforeAll(async () => {
    ensureBuilt();
    site = await startCatalogSite({
      products: PRODUCTS,
      listPages: LIST_PAGES,
      chain: false,
      delayMs: SITE_DELAY_MS,
    });
    dir = mkdtempSync(join(tmpdir(), 'mocra-crash-'));
  });
  afterAll(async () => {
    await site.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function writeConfig(name: string, baseUrl: string): { configPath: string; itemsPath: string } {
    const configPath = join(dir, `${name}.toml`);
    writeFileSync(
      configPath,
      [
        `name = "${name}"`,
        '[crawler]',
        `task_concurrency = ${CONCURRENCY}`,
        '[channel_config]',
        `durable_path = "${join(dir, `${name}-queue`)}"`,
        '[modules.catalog]',
        `concurrency = ${CONCURRENCY}`,
        '[modules.catalog.settings]',
        `base = "${baseUrl}"`,
      ].join('\n'),
    );
    return { configPath, itemsPath: join(dir, `${name}-items.jsonl`) };
  }

  it('loses and duplicates nothing across three kill -9 and restarts', async () => {
    const { configPath, itemsPath } = writeConfig('crash', site.url);
    const kills = 3;
    // Kill points spread over the crawl: after roughly 10%, 35% and 60% of the pages seen so far by the site.
    const total = PRODUCTS + LIST_PAGES;
    for (let k = 0; k < kills; k++) {
      const child = startApp(configPath, itemsPath);
      const target = Math.floor(total * (0.1 + 0.25 * k) + Math.random() * total * 0.05);
      await waitForPages(child, Math.max(1, target - site.stats().totalRequests + 50));
      for (;;) {
        if (site.stats().totalRequests >= target || child.proc.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(child.proc.exitCode, child.output.join('')).toBeNull();
      child.proc.kill('SIGKILL');
      await child.exited;
    }
    const final = startApp(configPath, itemsPath);
    const code = await final.exited;
    expect(code, final.output.join('')).toBe(0);

    const items = readItems(itemsPath);
    const ids = items.map((i) => i.data.id);
    expect(new Set(ids).size).toBe(PRODUCTS);
    expect(ids.length).toBe(PRODUCTS);
    const requests = site.stats().totalRequests;
    expect(requests).toBeGreaterThanOrEqual(PRODUCTS + LIST_PAGES);
    expect(requests).toBeLessThanOrEqual(PRODUCTS + LIST_PAGES + CONCURRENCY * kills);
  }, 600_000);

  it('exits within 10 s of SIGTERM mid-crawl, and a restart completes with every item once', async () => {
    const other = await startCatalogSite({
      products: 2000,
      listPages: 100,
      chain: false,
      delayMs: SITE_DELAY_MS,
    });
    try {
      const { configPath, itemsPath } = writeConfig('sigterm', other.url);
      const child = startApp(configPath, itemsPath);
      while (other.stats().totalRequests < 700 && child.proc.exitCode === null) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const sentAt = performance.now();
      child.proc.kill('SIGTERM');
      await child.exited;
      const exitMs = performance.now() - sentAt;
      expect(exitMs, child.output.join('')).toBeLessThan(10_000);
      expect(other.stats().totalRequests).toBeLessThan(2100);

      const again = startApp(configPath, itemsPath);
      expect(await again.exited, again.output.join('')).toBe(0);
      const ids = readItems(itemsPath).map((i) => i.data.id);
      expect(ids.length).toBe(2000);
      expect(new Set(ids).size).toBe(2000);
    } finally {
      await other.close();
    }
  }, 300_000);
});

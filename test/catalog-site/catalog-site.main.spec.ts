import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCatalogSite } from '../../bench/baseline/catalog-site.process.js';
import { runRawAxiosLoop } from '../../bench/baseline/raw-axios-loop.js';
import { CATALOG_SITE_OPTIONS_ENV, parseCatalogSiteArgs } from '../../src/catalog-site/catalog-site.js';
import { compileCatalogSite, type CompiledCatalogSite } from './compiled-catalog-site.js';

describe('parseCatalogSiteArgs', () => {
  it('reads JSON from the environment and lets argv flags override it', () => {
    const env = { [CATALOG_SITE_OPTIONS_ENV]: '{"products": 50, "listPages": 5, "chain": true}' };
    expect(
      parseCatalogSiteArgs(
        [
          '--list-pages',
          '7',
          '--chain=false',
          '--always-fail=3,9',
          '--no-repeat-links',
          '--failureRate',
          '0.5',
        ],
        env,
      ),
    ).toEqual({
      products: 50,
      listPages: 7,
      chain: false,
      alwaysFail: [3, 9],
      repeatLinks: false,
      failureRate: 0.5,
    });
  });

  it('accepts --options JSON and bare boolean flags', () => {
    expect(parseCatalogSiteArgs(['--options', '{"products":9}', '--chain', '--port=0'])).toEqual({
      products: 9,
      chain: true,
      port: 0,
    });
  });

  it('names the flag or source at fault', () => {
    expect(() => parseCatalogSiteArgs(['--prodcts', '5'])).toThrow(/--prodcts/);
    expect(() => parseCatalogSiteArgs(['--products', 'many'])).toThrow(/--products expects a number/);
    expect(() => parseCatalogSiteArgs(['--chain=maybe'])).toThrow(/--chain/);
    expect(() => parseCatalogSiteArgs([], { [CATALOG_SITE_OPTIONS_ENV]: '{bad' })).toThrow(
      CATALOG_SITE_OPTIONS_ENV,
    );
    expect(() => parseCatalogSiteArgs(['--products'])).toThrow(/needs a value/);
  });
});

describe('catalog-site.main standalone process', () => {
  let compiled: CompiledCatalogSite | undefined;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    compiled = await compileCatalogSite();
  });

  afterAll(async () => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    await compiled?.remove();
  });

  it('prints CATALOG_SITE_READY <url>, serves pages and /__stats, and exits 0 on SIGTERM', async () => {
    const proc = spawn(process.execPath, [compiled!.mainPath, '--list-pages', '2'], {
      env: { ...process.env, [CATALOG_SITE_OPTIONS_ENV]: '{"products": 8, "alwaysFail": [2]}' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const lines = createInterface({ input: proc.stdout! });
    const firstLine = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      proc.once('exit', (code) => reject(new Error(`standalone site exited early with ${code}`)));
    });
    const match = /^CATALOG_SITE_READY (http:\/\/127\.0\.0\.1:\d+)$/.exec(firstLine);
    expect(match, firstLine).not.toBeNull();
    const url = match![1]!;

    expect((await fetch(`${url}/product/8`)).status).toBe(200);
    expect((await fetch(`${url}/product/9`)).status).toBe(404);
    expect((await fetch(`${url}/product/2`)).status).toBe(500);
    const page2 = await (await fetch(`${url}/catalog/2`)).text();
    expect(page2).toContain('href="/product/8"');
    expect(page2).not.toContain('class="next"');

    expect(await (await fetch(`${url}/__stats`)).json()).toEqual({
      totalRequests: 4,
      byPath: { '/product/8': 1, '/product/9': 1, '/product/2': 1, '/catalog/2': 1 },
      failuresServed: 1,
    });

    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('exits 1 and names the option when started with a bad one', async () => {
    const proc = spawn(process.execPath, [compiled!.mainPath, '--list-pages', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(stderr).toMatch(/listPages/);
  });

  it('spawnCatalogSite starts it, reads /__stats across processes and stops it', async () => {
    const site = await spawnCatalogSite(
      { products: 30, listPages: 3, chain: false },
      { mainPath: compiled!.mainPath, args: ['--fail-first-hit-every', '10'] },
    );
    try {
      const result = await runRawAxiosLoop({
        baseUrl: site.url,
        concurrency: 4,
        shape: 'wide',
        listPages: 3,
      });
      expect(result).toMatchObject({ pages: 33, items: 30, retries: 3 });
      const stats = await site.stats();
      expect(stats.totalRequests).toBe(36);
      expect(stats.failuresServed).toBe(3);
      expect(stats.byPath['/product/10']).toBe(2);
    } finally {
      await site.stop();
    }
    await expect(fetch(`${site.url}/__stats`)).rejects.toThrow();
  });

  it('spawnCatalogSite rejects with the cause when the process cannot start', async () => {
    await expect(spawnCatalogSite({ listPages: 0 }, { mainPath: compiled!.mainPath })).rejects.toThrow(
      /exited with code 1 before ready: .*listPages/,
    );
  });
});

// Runs the catalog site in its own process, so a benchmark charges only the crawler's CPU to the crawler.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CatalogSiteOptions, CatalogSiteStatsJson } from '../../src/catalog-site/catalog-site.js';

export interface CatalogSiteProcess {
  /** Base URL without trailing slash. */
  readonly url: string;
  readonly pid: number;
  /** Counts read from the site's `GET /__stats`. */
  stats(): Promise<CatalogSiteStatsJson>;
  /** SIGTERM, then SIGKILL if the process has not exited after `killAfterMs`. */
  stop(killAfterMs?: number): Promise<void>;
}

export interface SpawnCatalogSiteOptions {
  /**
   * The compiled `catalog-site.main.js`. Default: next to this file's compiled form in dist/
   * (`dist/bench/baseline/` → `dist/src/catalog-site/catalog-site.main.js`).
   */
  mainPath?: string;
  /** Extra argv flags, applied on top of the options (see `parseCatalogSiteArgs`). */
  args?: readonly string[];
  /** Default 10 000 ms. */
  readyTimeoutMs?: number;
}

const READY = /^CATALOG_SITE_READY (\S+)$/;

export async function spawnCatalogSite(
  options: CatalogSiteOptions = {},
  spawnOptions: SpawnCatalogSiteOptions = {},
): Promise<CatalogSiteProcess> {
  const mainPath =
    spawnOptions.mainPath ??
    fileURLToPath(new URL('../../src/catalog-site/catalog-site.main.js', import.meta.url));
  const child = spawn(process.execPath, [mainPath, ...(spawnOptions.args ?? [])], {
    env: { ...process.env, CATALOG_SITE_OPTIONS: JSON.stringify(options) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = await new Promise<string>((resolve, reject) => {
    const timeoutMs = spawnOptions.readyTimeoutMs ?? 10_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`catalog site ${mainPath} not ready after ${timeoutMs} ms: ${stderr.trim()}`));
    }, timeoutMs);
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const match = READY.exec(line);
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      resolve(match[1]);
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`catalog site ${mainPath} could not start: ${err.message}`));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`catalog site ${mainPath} exited with code ${code} before ready: ${stderr.trim()}`));
    });
  });

  return {
    url,
    pid: child.pid ?? -1,
    stats: async () => {
      const res = await fetch(`${url}/__stats`);
      if (!res.ok) throw new Error(`catalog site ${url}/__stats answered ${res.status}`);
      return (await res.json()) as CatalogSiteStatsJson;
    },
    stop: async (killAfterMs = 5_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transpileTs } from '../../scripts/ts/transpile-ts.mjs';

export interface CompiledCatalogSite {
  /** Path of the compiled `catalog-site.main.js`. */
  mainPath: string;
  remove(): Promise<void>;
}

/**
 * Node 20 cannot run .ts, and the standalone site must be tested as the separate process benchmarks start.
 * The folder only imports node built-ins and itself, so TypeScript's transpiler compiles it file by file into a
 * temporary ESM package that plain node can run.
 */
export async function compileCatalogSite(): Promise<CompiledCatalogSite> {
  const dir = await mkdtemp(join(tmpdir(), 'catalog-site-main-'));
  const srcDir = fileURLToPath(new URL('../../src/catalog-site/', import.meta.url));
  await writeFile(join(dir, 'package.json'), '{"type":"module"}');
  for (const file of await readdir(srcDir)) {
    if (!file.endsWith('.ts')) continue;
    const path = join(srcDir, file);
    await writeFile(join(dir, file.replace(/\.ts$/, '.js')), transpileTs(await readFile(path, 'utf8'), path));
  }
  return {
    mainPath: join(dir, 'catalog-site.main.js'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

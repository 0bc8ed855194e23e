import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transpileTs } from '../../../../../scripts/ts/transpile-ts.mjs';

const raftRoot = fileURLToPath(new URL('../../../', import.meta.url));
const repoRoot = join(raftRoot, '../..');

export interface CompiledRaftChild {
  /** Path of the compiled child script. */
  mainPath: string;
  remove(): Promise<void>;
}

async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await tsFiles(path)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) out.push(path);
  }
  return out;
}

/**
 * Node 20 cannot run .ts: compiles libs/raft/src and the folder of a child script (inside libs/raft) file by file
 * into a folder under the repo's .cache, keeping their relative layout, so the child's relative imports resolve and
 * classic-level resolves from the repo's node_modules.
 */
export async function compileRaftChild(childScript: string): Promise<CompiledRaftChild> {
  await mkdir(join(repoRoot, '.cache'), { recursive: true });
  const dir = await mkdtemp(join(repoRoot, '.cache', 'raft-child-'));
  await writeFile(join(dir, 'package.json'), '{"type":"module"}');
  for (const path of [...(await tsFiles(join(raftRoot, 'src'))), ...(await tsFiles(dirname(childScript)))]) {
    const target = join(dir, relative(raftRoot, path)).replace(/\.ts$/, '.js');
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, transpileTs(await readFile(path, 'utf8'), path));
  }
  return {
    mainPath: join(dir, relative(raftRoot, childScript)).replace(/\.ts$/, '.js'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

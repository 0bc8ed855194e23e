import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');

function newestMtime(dir: string): number {
  let newest = 0;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    const st = statSync(path);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(path) : st.mtimeMs);
  }
  return newest;
}

function stale(): boolean {
  const sources = Math.max(
    newestMtime(join(repoRoot, 'libs/mocra/src')),
    newestMtime(join(repoRoot, 'libs/raft/src')),
    newestMtime(join(repoRoot, 'src')),
    newestMtime(join(repoRoot, 'bench')),
  );
  const built = Math.min(
    ...['libs/mocra/dist/index.js', 'libs/raft/dist/index.js', 'dist/src/main.js'].map((p) => {
      try {
        return statSync(join(repoRoot, p)).mtimeMs;
      } catch {
        return 0;
      }
    }),
  );
  return built < sources;
}

/**
 * Tests that start real processes (crash and restart, packaging, CLI) run compiled JavaScript. This builds the
 * workspace when the sources are newer than the build, once across parallel test files (a directory lock).
 */
export function ensureBuilt(): void {
  if (process.env['MOCRA_SKIP_BUILD'] === '1') return;
  const lock = join(repoRoot, '.cache/build.lock');
  mkdirSync(join(repoRoot, '.cache'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock left by a killed test run is older than any real build.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 600_000) rmdirSync(lock, { recursive: false });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    if (stale()) execFileSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, stdio: 'inherit' });
  } finally {
    rmdirSync(lock);
  }
}

import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/ensure-built.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

describe('@mocra/core as an installed package', () => {
  const work = mkdtempSync(join(tmpdir(), 'mocra-outside-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('packs, installs into an app outside the workspace, and crawls there', () => {
    // @mocra/core depends on @mocra/raft (the coordination layer): both are packed, as both would be published
    // the one shared build (under a lock): rebuilding a dist here would pull it from under other tests' processes
    ensureBuilt();
    run(npm, ['pack', '-w', '@mocra/raft', '-w', '@mocra/core', '--pack-destination', work], repo);
    const tarball = readdirSync(work).find((f) => f.startsWith('mocra-core-') && f.endsWith('.tgz'));
    const raftTarball = readdirSync(work).find((f) => f.startsWith('mocra-raft-') && f.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    expect(raftTarball).toBeDefined();

    const app = join(work, 'app');
    cpSync(join(repo, 'test/package/fixture-app'), app, { recursive: true });
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'outside-app',
        private: true,
        type: 'module',
        dependencies: { '@mocra/core': `file:../${tarball}`, '@mocra/raft': `file:../${raftTarball}` },
        devDependencies: { '@types/node': '^20.19.0' },
      }),
    );
    run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], app);
    // Compiled with the repo's TypeScript: the app itself needs only the tarball and its dependencies.
    run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
    const out = run(process.execPath, ['dist/main.js'], app);
    const line = out.split('\n').find((l) => l.startsWith('OUTSIDE_RESULT '));
    expect(line, out).toBeDefined();
    const result = JSON.parse(line!.slice('OUTSIDE_RESULT '.length)) as {
      pages: number;
      items: number;
      titles: string[];
    };
    expect(result).toEqual({
      pages: 5,
      items: 5,
      titles: ['Page 1', 'Page 2', 'Page 3', 'Page 4', 'Page 5'],
    });
  }, 300_000);
});

import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/ensure-built.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const core = join(repo, 'libs/mocra');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

// What the lead adds to libs/mocra/package.json; the staged copy gets it when the real one does not have it yet.
const BIN = { mocra: './dist/cli/main.js' };
const TESTING_EXPORT = {
  source: './src/testing/index.ts',
  types: './dist/testing/index.d.ts',
  default: './dist/testing/index.js',
};

// The starter's own vitest must not think it runs inside this one, and its output is matched as plain text.
const childEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries({ ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }).filter(
    ([k]) => !k.startsWith('VITEST'),
  ),
);
// eslint-disable-next-line no-control-regex -- ANSI colour codes start with ESC
const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');

function run(cmd: string, args: string[], cwd: string): string {
  try {
    return plain(
      execFileSync(cmd, args, { cwd, env: childEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    );
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** Runs a command that may fail; returns its exit code and output. */
function attempt(cmd: string, args: string[], cwd: string): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd, env: childEnv, encoding: 'utf8' });
  return { code: r.status, out: plain(`${r.stdout}${r.stderr}`) };
}

// The built CLI, run as a user runs it: `mocra new demo`, npm install with @mocra/core from a packed tarball,
// then the starter's own npm test, and `mocra check` / `mocra dag` through the installed bin.
describe('the mocra bin, end to end', () => {
  // Inside the repo (git-ignored .cache) so the staged build resolves the workspace's node_modules; the shared
  // libs/mocra/dist is left alone because other tests build and pack it at the same time.
  mkdirSync(join(repo, '.cache'), { recursive: true });
  const stage = mkdtempSync(join(repo, '.cache', 'tools-e2e-'));
  const work = mkdtempSync(join(tmpdir(), 'mocra-new-e2e-'));
  let tarball: string;
  let raftTarball: string;

  beforeAll(() => {
    // @mocra/core compiles against @mocra/raft's built types; the shared build provides them (under a lock)
    ensureBuilt();
    run(
      process.execPath,
      [
        join(repo, 'node_modules/typescript/bin/tsc'),
        '-p',
        'tsconfig.build.json',
        '--outDir',
        join(stage, 'dist'),
      ],
      core,
    );
    const pkg = JSON.parse(readFileSync(join(core, 'package.json'), 'utf8')) as {
      bin?: unknown;
      exports: Record<string, unknown>;
    };
    pkg.bin ??= BIN;
    pkg.exports['./testing'] ??= TESTING_EXPORT;
    writeFileSync(join(stage, 'package.json'), JSON.stringify(pkg, null, 2));
    if (existsSync(join(core, 'README.md'))) cpSync(join(core, 'README.md'), join(stage, 'README.md'));
    run(npm, ['pack', '--pack-destination', work], stage);
    tarball = readdirSync(work).find((f) => f.startsWith('mocra-core-') && f.endsWith('.tgz'))!;
    // @mocra/core depends on @mocra/raft, which is not on the registry yet: the demo gets it as a tarball too
    run(npm, ['pack', '-w', '@mocra/raft', '--pack-destination', work], repo);
    raftTarball = readdirSync(work).find((f) => f.startsWith('mocra-raft-') && f.endsWith('.tgz'))!;
  }, 300_000);

  afterAll(() => {
    rmSync(stage, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('mocra new demo installs, passes its own npm test, and checks and draws its DAG', () => {
    expect(tarball).toBeDefined();
    const created = run(
      process.execPath,
      [join(stage, 'dist/cli/main.js'), 'new', 'demo', '--core', `file:../${tarball}`],
      work,
    );
    expect(created).toContain('created demo');
    const demo = join(work, 'demo');
    const demoPkgPath = join(demo, 'package.json');
    const demoPkg = JSON.parse(readFileSync(demoPkgPath, 'utf8')) as { dependencies: Record<string, string> };
    demoPkg.dependencies['@mocra/raft'] = `file:../${raftTarball}`;
    writeFileSync(demoPkgPath, JSON.stringify(demoPkg, null, 2));

    run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline'], demo);
    const tested = run(npm, ['test'], demo);
    expect(tested).toMatch(/Tests\s+3 passed/);

    run(npm, ['run', 'build'], demo);
    const app = 'dist/app.module.js#AppModule.register';
    const ok = attempt(npm, ['exec', '--', 'mocra', 'check', '--config', 'mocra.toml', '--app', app], demo);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain('PASS dag pages: 2 node(s), explicit, entries: list');

    writeFileSync(join(demo, 'broken.toml'), 'name = "demo"\n[crawler]\nrequest_max_retries = "three"\n');
    const broken = attempt(
      npm,
      ['exec', '--', 'mocra', 'check', '--config', 'broken.toml', '--app', app],
      demo,
    );
    expect(broken.code).toBe(1);
    expect(broken.out).toContain('FAIL config broken.toml: crawler.request_max_retries');

    const dag = attempt(npm, ['exec', '--', 'mocra', 'dag', '--config', 'mocra.toml', '--app', app], demo);
    expect(dag.code, dag.out).toBe(0);
    expect(dag.out).toContain('  list <ListNode> [entry] -> page');
    expect(dag.out).toContain('  n0 --> n1');
  }, 420_000);
});

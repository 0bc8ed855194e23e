import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseToml } from 'smol-toml';
import { loadConfig } from '../../src/config/config.loader.js';
import { runCli } from '../../src/cli/run-cli.js';
import type { CliIo } from '../../src/cli/cli-io.js';

describe('mocra new (files written)', () => {
  let cwd: string;
  let io: CliIo & { lines: string[]; errors: string[] };

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'mocra-new-'));
    const lines: string[] = [];
    const errors: string[] = [];
    io = { cwd, lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  it('writes a starter whose package, config and test fit together', async () => {
    expect(await runCli(['new', 'demo', '--core', 'file:../core.tgz'], io)).toBe(0);
    const read = (p: string) => readFileSync(join(cwd, 'demo', p), 'utf8');
    const pkg = JSON.parse(read('package.json')) as {
      name: string;
      scripts: Record<string, string>;
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(pkg.name).toBe('demo');
    expect(pkg.dependencies['@mocra/core']).toBe('file:../core.tgz');
    expect(pkg.scripts['test']).toBe('vitest run');
    expect(Object.keys(pkg.devDependencies)).toEqual(
      expect.arrayContaining(['vitest', 'unplugin-swc', '@swc/core', '@nestjs/testing', 'typescript']),
    );
    // The config is one mocra itself accepts, and it configures the module the starter declares.
    const config = loadConfig(join(cwd, 'demo/mocra.toml'));
    expect(config.name).toBe('demo');
    expect(Object.keys(parseToml(read('mocra.toml'))['modules'] as object)).toEqual(['pages']);
    expect(read('src/pages/pages.module.ts')).toContain("name: 'pages'");
    expect(read('test/nodes.spec.ts')).toContain("from '@mocra/core/testing'");
    expect(io.lines[0]).toMatch(/^created demo in .*demo \(12 files\)$/);
  });

  it('defaults the @mocra/core dependency to this version', async () => {
    expect(await runCli(['new', 'demo2'], io)).toBe(0);
    const own = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const pkg = JSON.parse(readFileSync(join(cwd, 'demo2/package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(pkg.dependencies['@mocra/core']).toBe(`^${own.version}`);
  });

  it('refuses a bad name and a non-empty folder unless --force', async () => {
    expect(await runCli(['new', 'My App'], io)).toBe(2);
    expect(io.errors[0]).toContain('invalid project name "My App"');
    mkdirSync(join(cwd, 'taken'));
    writeFileSync(join(cwd, 'taken/keep.txt'), 'x');
    expect(await runCli(['new', 'taken'], io)).toBe(2);
    expect(io.errors.join('\n')).toContain('exists and is not empty');
    expect(await runCli(['new', 'taken', '--force'], io)).toBe(0);
    expect(readFileSync(join(cwd, 'taken/keep.txt'), 'utf8')).toBe('x');
    expect(await runCli(['new', 'other', '--dir', 'nested/place'], io)).toBe(0);
    expect(JSON.parse(readFileSync(join(cwd, 'nested/place/package.json'), 'utf8')).name).toBe('other');
  });
});

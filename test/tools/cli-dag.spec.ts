import 'reflect-metadata';
import { dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../libs/mocra/src/cli/index.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function collectingIo(): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { cwd: repo, lines, errors, out: (l) => lines.push(...l.split('\n')), err: (l) => errors.push(l) };
}

describe('mocra dag', () => {
  const exampleApp = [
    '--app',
    'src/app.module.ts#AppModule.register',
    '--app-options',
    JSON.stringify({ output: join(tmpdir(), 'mocra-dag-unused.jsonl') }),
  ];

  it("prints the example app's DAG as text and as Mermaid", async () => {
    const io = collectingIo();
    const code = await runCli(['dag', ...exampleApp], io);
    expect(code, io.errors.join('\n')).toBe(0);
    expect(io.lines).toEqual([
      'module catalog (explicit, 2 nodes, entries: list)',
      '  list <CatalogListNode> [entry] -> product, list (self)',
      '  product <CatalogProductNode> -> (end)',
      '',
      '```mermaid',
      'flowchart LR',
      '  n0(["list"])',
      '  n1["product"]',
      '  n0 --> n1',
      '  n0 --> n0',
      '```',
      '',
    ]);
  });

  it('prints one module in one format, and names an unknown module', async () => {
    const io = collectingIo();
    expect(await runCli(['dag', 'catalog', '--format', 'mermaid', ...exampleApp], io)).toBe(0);
    expect(io.lines[0]).toBe('```mermaid');
    expect(io.lines.some((l) => l.startsWith('module catalog'))).toBe(false);

    const missing = collectingIo();
    expect(await runCli(['dag', 'shop', ...exampleApp], missing)).toBe(1);
    expect(missing.errors).toEqual(['mocra dag: no module "shop" in the app (modules: catalog)']);
  });

  it('reports an app that fails to start', async () => {
    const io = collectingIo();
    const app = 'test/tools/fixtures/check.apps.ts#CycleApp.register';
    expect(await runCli(['dag', '--app', app], io)).toBe(1);
    expect(io.errors[0]).toContain('module "loop": the DAG has no entry node');
  });
});

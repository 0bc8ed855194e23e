import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterAll, describe, expect, it } from 'vitest';
// The module, not the package index: the index also loads the HTTP control plane, which is not under test here.
import { MocraModule } from '../src/mocra.module.js';
import { loadBackendPackage } from '../src/common/backend-package.js';

/** Backend packages Node has loaded into this test process so far (kafkajs and classic-level are CommonJS). */
function loadedBackendPackages(): string[] {
  const found = new Set<string>();
  for (const path of Object.keys(createRequire(import.meta.url).cache)) {
    const match = /node_modules\/(kafkajs|classic-level)\//.exec(path);
    if (match?.[1]) found.add(match[1]);
  }
  return [...found].sort();
}

async function boot(config: Record<string, unknown>): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [MocraModule.forRoot({ config: { name: 'lazy', ...config } })],
  }).compile();
  await moduleRef.init();
  return moduleRef;
}

// The order matters: the first test needs a process that has not loaded a backend yet (vitest gives each spec file
// its own process), and the second shows that the check sees a package once a config selects its backend.
describe('backend packages load only for the config that selects them', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('boots the in-memory queue and local cache without loading kafkajs or classic-level', async () => {
    const moduleRef = await boot({});
    await moduleRef.close();
    expect(loadedBackendPackages()).toEqual([]);
  });

  it('loads classic-level once channel_config.durable_path asks for a durable queue', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mocra-lazy-'));
    dirs.push(dir);
    const moduleRef = await boot({ channel_config: { durable_path: join(dir, 'queue') } });
    await moduleRef.close();
    expect(loadedBackendPackages()).toEqual(['classic-level']);
  });
});

describe('loadBackendPackage', () => {
  it('names the config key and the package when the package cannot be loaded', async () => {
    const missing = '@mocra/no-such-backend';
    const failure = loadBackendPackage('[raft]', '@mocra/raft', (): Promise<unknown> => import(missing));
    await expect(failure).rejects.toThrow(
      /^\[raft\] needs the "@mocra\/raft" package, which could not be loaded: /,
    );
    await expect(failure).rejects.toThrow(/@mocra\/no-such-backend/);
  });

  it('keeps the original error as the cause', async () => {
    const original = new Error('No native build was found for platform=plan9');
    const failure = loadBackendPackage('channel_config.durable_path', 'classic-level', () => {
      throw original;
    });
    await expect(failure).rejects.toMatchObject({ cause: original });
    await expect(failure).rejects.toThrow(/^channel_config\.durable_path needs the "classic-level" package/);
  });

  it('returns what the loader gives', async () => {
    await expect(
      loadBackendPackage('[raft]', 'node:path', () => import('node:path')),
    ).resolves.toHaveProperty('join');
  });
});

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeConfigKeys } from '../../libs/mocra/src/config/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

describe('README', () => {
  it('documents every config key', () => {
    const missing = describeConfigKeys()
      .map((row) => row.path)
      .filter((path) => !readme.includes(path));
    expect(missing).toEqual([]);
  });

  it('carries the current reference docs (node scripts/docs/sync-readme.mjs)', () => {
    expect(() =>
      execFileSync(process.execPath, [join(root, 'scripts/docs/sync-readme.mjs'), '--check'], {
        stdio: 'pipe',
      }),
    ).not.toThrow();
  });

  it('names the set-up commands that .ci/run executes', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
    expect(readFileSync(join(root, '.ci/run'), 'utf8')).toContain('npm test');
  });
});

describe('README documents every route and metric', () => {
  it('lists each controller route and each mocra_ metric name', async () => {
    const { MOCRA_METRIC } = await import('../../libs/mocra/src/metrics/index.js');
    const names = Object.values(MOCRA_METRIC as Record<string, string>);
    expect(names.length).toBeGreaterThan(5);
    expect(names.filter((n) => !readme.includes(n))).toEqual([]);
    for (const route of [
      'GET /health',
      'GET /metrics',
      'POST /tasks/dispatch',
      'GET /cluster/nodes',
      'GET /cluster/leader',
      '/config/modules',
      '/debug/status',
      'GET /dlq/messages',
      'POST /dlq/messages/:id/requeue',
      'DELETE /dlq/messages/:id',
      'POST /control/pause',
      'POST /control/resume',
    ]) {
      expect(readme, route).toContain(route);
    }
  });
});

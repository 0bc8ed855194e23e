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
      execFileSync(process.execPath, [join(root, 'scripts/docs/sync-readme.mjs'), '--check'], { stdio: 'pipe' }),
    ).not.toThrow();
  });

  it('names the set-up commands that .ci/run executes', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
    expect(readFileSync(join(root, '.ci/run'), 'utf8')).toContain('npm test');
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseScript, rewriteScript } from './datadriven.js';
import { InteractionEnv } from './interaction-env.js';

// Replays every golden script in libs/raft/testdata and compares each command's output with the expected text
// below it. REWRITE=1 regenerates the expected outputs (review the diff before keeping it).

const dataDir = join(dirname(fileURLToPath(import.meta.url)), '../../testdata');
const scripts = readdirSync(dataDir)
  .filter((f) => f.endsWith('.txt'))
  .sort();

describe('raft interaction scripts', () => {
  it('has golden scripts', () => {
    expect(scripts.length).toBeGreaterThan(0);
  });

  for (const file of scripts) {
    it(file, () => {
      const path = join(dataDir, file);
      const cases = parseScript(readFileSync(path, 'utf8'));
      const env = new InteractionEnv();
      const outputs = new Map<number, string>();
      const mismatches: string[] = [];
      for (const tc of cases) {
        const got = env.run(tc);
        outputs.set(tc.line, got);
        if (got !== tc.expected) {
          mismatches.push(`${file}:${tc.line}: ${tc.raw}\n--- expected\n${tc.expected}\n--- got\n${got}`);
        }
      }
      if (process.env['REWRITE'] === '1') {
        rewriteScript(path, outputs);
        return;
      }
      expect(mismatches.slice(0, 1).join('\n')).toBe('');
    });
  }
});

#!/usr/bin/env node
// Copies the reference docs (docs/*.md) into README.md between marker comments, one heading level down, so the
// README documents every key, route and metric while each reference stays next to the code it is generated from.
// `node scripts/docs/sync-readme.mjs` rewrites; `--check` exits 1 when README.md is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const readmePath = join(root, 'README.md');
let readme = readFileSync(readmePath, 'utf8');
const original = readme;
const blocks = [...readme.matchAll(/<!-- include:(\S+) -->[\s\S]*?<!-- \/include -->/g)];
for (const [block, file] of blocks) {
  // Headings go one level down; lines starting with '#' inside fenced code (TOML comments) stay as they are.
  let fenced = false;
  const doc = readFileSync(join(root, file), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      if (line.startsWith('```')) fenced = !fenced;
      return !fenced && line.startsWith('#') ? '#' + line : line;
    })
    .join('\n');
  // A function replacement: the docs hold `$'`-like text that a string replacement would expand.
  readme = readme.replace(block, () => `<!-- include:${file} -->\n${doc}\n<!-- /include -->`);
}
if (process.argv.includes('--check')) {
  if (readme !== original) {
    console.error('README.md is out of date: run node scripts/docs/sync-readme.mjs');
    process.exit(1);
  }
} else {
  writeFileSync(readmePath, readme);
}

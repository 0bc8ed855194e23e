// Module hooks that let a plain `node` child process run this repository's TypeScript sources (the crash test's
// child and the throughput script): `.ts` files are compiled with TypeScript's transpiler, and `./x.js` imports
// resolve to `./x.ts`.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { URL, fileURLToPath } from 'node:url';
import { transpileTs } from '../../../../../scripts/ts/transpile-ts.mjs';

export async function resolve(specifier, context, nextResolve) {
  if (specifier.endsWith('.js') && (specifier.startsWith('.') || specifier.startsWith('file:'))) {
    const url = new URL(specifier, context.parentURL);
    if (!existsSync(fileURLToPath(url))) {
      const ts = new URL(url.href.replace(/\.js$/, '.ts'));
      if (existsSync(fileURLToPath(ts))) return { url: ts.href, shortCircuit: true };
    }
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.ts')) return nextLoad(url, context);
  const filename = fileURLToPath(url);
  const source = transpileTs(await readFile(filename, 'utf8'), filename);
  return { format: 'module', source, shortCircuit: true };
}

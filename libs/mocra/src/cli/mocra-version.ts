import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The version of the installed @mocra/core (its package.json sits two levels above src/cli and dist/cli). */
export function mocraCoreVersion(): string {
  const path = fileURLToPath(new URL('../../package.json', import.meta.url));
  const pkg = JSON.parse(readFileSync(path, 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error(`no "version" in ${path}`);
  return pkg.version;
}

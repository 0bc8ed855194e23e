import { createRequire } from 'node:module';

/** The @mocra/core version, read from its package.json (one level above both src/ and dist/). */
export const MOCRA_VERSION: string = (() => {
  try {
    const pkg: unknown = createRequire(import.meta.url)('../../package.json');
    const version = (pkg as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
})();

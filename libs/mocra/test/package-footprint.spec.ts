import 'reflect-metadata';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

/** Files of `pattern` Node has loaded into this test process (vitest gives each spec file its own). */
function loaded(pattern: RegExp): string[] {
  return Object.keys(createRequire(import.meta.url).cache).filter((path) => pattern.test(path));
}

describe('what importing @mocra/core loads', () => {
  it('loads only the class-validator decorators mocra uses, not the package index and libphonenumber-js', async () => {
    const core = await import('@mocra/core');
    expect(core.MocraControlModule).toBeDefined();
    expect(loaded(/node_modules\/class-validator\/cjs\/decorator\/typechecker\/IsInt\.js$/)).toHaveLength(1);
    expect(loaded(/node_modules\/class-validator\/cjs\/index\.js$/)).toEqual([]);
    expect(loaded(/node_modules\/libphonenumber-js\//)).toEqual([]);
  });
});

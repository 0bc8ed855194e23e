import { defineConfig } from 'vitest/config';

// Vite 8 compiles TypeScript with Oxc, which reads experimentalDecorators and emitDecoratorMetadata from
// tsconfig.json: Nest DI works in tests without a native plugin (the DI canary test guards it). The "source"
// condition maps @mocra/* to their sources, so tests run without a build.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    globals: true,
    include: ['libs/*/test/**/*.spec.ts', 'libs/*/src/**/*.spec.ts', 'test/**/*.spec.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});

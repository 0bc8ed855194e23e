import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AppModuleRef } from './app-loader.js';

/** Env variable the orchestrator honours: boot and compile everything, start no processor and no cron. */
export const NO_START_ENV = 'MOCRA_NO_START';

/**
 * Boots the app as a Nest application context without starting the crawl: every module's DAG is compiled and
 * its middleware names and cron expressions checked, as on a real startup. Throws what startup threw.
 */
export async function bootWithoutStart(module: AppModuleRef): Promise<INestApplicationContext> {
  const previous = process.env[NO_START_ENV];
  process.env[NO_START_ENV] = '1';
  try {
    // abortOnError: false, or Nest would process.abort() on the first provider that fails to build.
    return await NestFactory.createApplicationContext(module, { logger: false, abortOnError: false });
  } finally {
    if (previous === undefined) delete process.env[NO_START_ENV];
    else process.env[NO_START_ENV] = previous;
  }
}

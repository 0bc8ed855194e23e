import type { INestApplicationContext } from '@nestjs/common';
import { CrawlerRegistry } from '../engine/crawler.registry.js';

/**
 * The booted app's CrawlerRegistry. It is looked up by class, so it is only found when the app and this CLI load
 * the same copy of @mocra/core; say so instead of Nest's generic "could not find" message.
 */
export function registryOf(app: INestApplicationContext): CrawlerRegistry {
  try {
    return app.get(CrawlerRegistry, { strict: false });
  } catch (err) {
    throw new Error(
      'the app does not use the same @mocra/core as this mocra command (no MocraModule found, or another copy ' +
        "of @mocra/core): import MocraModule.forRoot in the app and run the app's own mocra (npx mocra)",
      { cause: err },
    );
  }
}

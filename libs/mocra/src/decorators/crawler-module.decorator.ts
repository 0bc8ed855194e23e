import { Injectable, SetMetadata, applyDecorators, type Type } from '@nestjs/common';
import { CRAWLER_MODULE_METADATA } from '../mocra.constants.js';
import type { Priority } from '../request/request-data.js';

export interface ResponseCacheOptions {
  enabled: boolean;
  ttlSecs?: number;
}

/** Options of `@CrawlerModule`. Every option except `name` and `nodes` can be overridden by `[modules.<name>]`. */
export interface CrawlerModuleOptions {
  /** Stable module name: routes work, names metrics, keys `[modules.<name>]` in the config. */
  name: string;
  version?: number;
  /** Node classes (each a provider with `@Node`). Without any `@Next`, their order forms a linear chain. */
  nodes: Type<unknown>[];
  /** Requests per second for the whole module; 0 or absent = no limit. */
  rateLimit?: number;
  /** Share one rate limit (`[download_config.groups.<name>] rate_limit`) with other modules. */
  rateLimitGroup?: string;
  /** Obey robots.txt (disallow rules; crawl-delay as a rate floor). Default false. */
  robotsTxt?: boolean;
  /** Downloads in flight at once for this module. */
  concurrency?: number;
  priority?: Priority;
  timeoutSecs?: number;
  /** Six-field cron expression (with seconds). */
  cron?: string;
  responseCache?: ResponseCacheOptions;
  enableSession?: boolean;
  serialExecution?: boolean;
  moduleLocker?: boolean;
  proxyPool?: string;
  /** Names of download, data and store middleware this module uses (global ones apply anyway). */
  downloadMiddleware?: string[];
  dataMiddleware?: string[];
  storeMiddleware?: string[];
  account?: string;
  platform?: string;
}

/** Marks a provider class as a crawler module. The class may implement `CrawlerModuleHooks`. */
export function CrawlerModule(options: CrawlerModuleOptions): ClassDecorator {
  return applyDecorators(Injectable(), SetMetadata(CRAWLER_MODULE_METADATA, options));
}

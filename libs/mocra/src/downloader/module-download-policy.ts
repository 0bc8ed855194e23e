import type { MocraConfig } from '../config/mocra-config.js';
import type { ModuleDownloadPolicy } from './download-coordinator.js';

/**
 * The download-related `@CrawlerModule` options (a structural subset, so `CrawlerModuleOptions` fits as is;
 * `rateLimitGroup` and `robotsTxt` are the two options the decorator does not declare yet).
 */
export interface ModuleDownloadOptions {
  name: string;
  rateLimit?: number;
  rateLimitGroup?: string;
  concurrency?: number;
  timeoutSecs?: number;
  proxyPool?: string;
  enableSession?: boolean;
  responseCache?: { enabled: boolean; ttlSecs?: number };
  robotsTxt?: boolean;
}

/**
 * A module's download policy: `[modules.<name>]` wins over the decorator options, which win over the
 * `[download_config]` / `[crawler]` defaults (the same precedence as the registry's runtime settings).
 */
export function resolveModuleDownloadPolicy(
  options: ModuleDownloadOptions,
  config: Pick<MocraConfig, 'modules' | 'download_config' | 'crawler'>,
): ModuleDownloadPolicy {
  const fromConfig = config.modules[options.name];
  const dc = config.download_config;
  const group = fromConfig?.rate_limit_group ?? options.rateLimitGroup;
  const pool = fromConfig?.proxy_pool ?? options.proxyPool;
  const ttlSecs = fromConfig?.response_cache_ttl_secs ?? options.responseCache?.ttlSecs;
  return {
    module: options.name,
    rateLimit: fromConfig?.rate_limit ?? options.rateLimit ?? dc.rate_limit,
    ...(group !== undefined ? { rateLimitGroup: group } : {}),
    concurrency: fromConfig?.concurrency ?? options.concurrency ?? config.crawler.task_concurrency,
    timeoutMs: (fromConfig?.timeout_secs ?? options.timeoutSecs ?? dc.timeout) * 1000,
    ...(pool !== undefined ? { proxyPool: pool } : {}),
    enableSession: fromConfig?.enable_session ?? options.enableSession ?? false,
    responseCache: {
      enabled: fromConfig?.response_cache_enabled ?? options.responseCache?.enabled ?? false,
      ...(ttlSecs !== undefined ? { ttlSecs } : {}),
    },
    robotsTxt: fromConfig?.robots_txt ?? options.robotsTxt ?? false,
    maxResponseSize: dc.max_response_size,
  };
}

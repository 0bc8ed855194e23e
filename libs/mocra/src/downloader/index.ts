export type { Downloader, DownloadOptions } from './downloader.interface.js';
export { DownloadError, type DownloadErrorKind } from './download.error.js';
export { AxiosDownloader, type AxiosDownloaderOptions } from './axios.downloader.js';
export { UndiciDownloader, type UndiciDownloaderOptions } from './undici.downloader.js';
export { BUILT_IN_DOWNLOADERS, createBuiltInDownloader } from './built-in-downloaders.js';
export {
  DownloadCoordinator,
  type DownloadCoordinatorOptions,
  type ModuleDownloadPolicy,
} from './download-coordinator.js';
export {
  LocalRateLimiter,
  type LocalRateLimiterOptions,
  type RateLimit,
  type RateLimiter,
  type SentSignal,
} from './rate-limiter.js';
export {
  DEFAULT_HOST_POLITENESS,
  HostPoliteness,
  parseRetryAfter,
  type HostPolitenessOptions,
} from './host-politeness.js';
export {
  ProxyPool,
  type ProxyCandidate,
  type ProxyLease,
  type ProxyPoolOptions,
  type ProxySource,
} from './proxy-pool.js';
export { ProxyPools, type ProxyListFetcher } from './proxy-pools.js';
export { parseProxyList } from './proxy-list.js';
export { ResponseCache } from './response-cache.js';
export {
  RobotsRules,
  type RobotsFetcher,
  type RobotsRulesOptions,
  type RobotsVerdict,
} from './robots-rules.js';
export { SessionJars } from './session-jars.js';
export { resolveModuleDownloadPolicy, type ModuleDownloadOptions } from './module-download-policy.js';

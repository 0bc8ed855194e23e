import type { ApiConfig } from './sections/api.config.js';
import type { CacheConfig } from './sections/cache.config.js';
import type { ChannelConfig } from './sections/channel.config.js';
import type { CrawlerConfig } from './sections/crawler.config.js';
import type { DownloadConfig } from './sections/download.config.js';
import type { LoggerConfig } from './sections/logger.config.js';
import type { ModuleConfig } from './sections/module.config.js';
import type { PolicyConfig } from './sections/policy.config.js';
import type { ProxyConfig } from './sections/proxy.config.js';
import type { RaftConfig } from './sections/raft.config.js';
import type { SchedulerConfig } from './sections/scheduler.config.js';

/**
 * A loaded, validated and frozen configuration. Keys keep the TOML names, so a config object and a TOML file
 * are interchangeable. Every section is present after defaults except the ones whose presence switches a
 * feature on: `api` (HTTP server), `raft` (cluster) and `channel_config.kafka` (Kafka queues).
 */
export interface MocraConfig {
  readonly name: string;
  readonly download_config: DownloadConfig;
  readonly cache: CacheConfig;
  readonly crawler: CrawlerConfig;
  readonly channel_config: ChannelConfig;
  readonly api?: ApiConfig;
  readonly raft?: RaftConfig;
  readonly proxy: ProxyConfig;
  readonly scheduler: SchedulerConfig;
  readonly logger: LoggerConfig;
  readonly policy: PolicyConfig;
  readonly modules: Readonly<Record<string, ModuleConfig>>;
  /** What loading changed or ignored (aliases normalised, seed sections and keys without effect). */
  readonly notes: readonly string[];
}

export type { ApiConfig } from './sections/api.config.js';
export type { CacheBackend, CacheConfig } from './sections/cache.config.js';
export type {
  BlobStorageConfig,
  ChannelConfig,
  KafkaConfig,
  QueueCodecName,
} from './sections/channel.config.js';
export type { CrawlerConfig, CutoverGateConfig } from './sections/crawler.config.js';
export type { DownloadConfig } from './sections/download.config.js';
export type {
  LogFormat,
  LoggerConfig,
  LoggerOutputConfig,
  LoggerPrometheusConfig,
  LogLevel,
  LogOutputType,
} from './sections/logger.config.js';
export type { ModuleConfig } from './sections/module.config.js';
export type { BackoffConfig, DlqMode, PolicyConfig, PolicyOverrideConfig } from './sections/policy.config.js';
export type {
  DirectProxyConfig,
  IpProviderConfig,
  ProxyConfig,
  ProxyPoolConfig,
  TunnelProxyConfig,
} from './sections/proxy.config.js';
export type { RaftConfig } from './sections/raft.config.js';
export type { SchedulerConfig } from './sections/scheduler.config.js';

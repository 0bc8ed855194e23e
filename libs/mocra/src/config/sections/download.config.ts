import { ConfigKey, namedTables } from '../config-key.decorator.js';
import {
  bool,
  nonEmptyStr,
  nonNegativeInt,
  nonNegativeNumber,
  positiveInt,
  positiveNumber,
} from '../config-value.kinds.js';

/** `[download_config.hosts."<host>"]`: politeness overrides for one host (name as in the URL, port included). */
export interface HostDownloadConfig {
  readonly rate_limit?: number;
  readonly concurrency?: number;
}

export class HostDownloadConfigSection implements HostDownloadConfig {
  @ConfigKey({
    kind: nonNegativeNumber,
    defaultText: 'download_config.host_rate_limit',
    doc: 'Requests per second to this host, all modules together; 0 means no limit.',
  })
  rate_limit?: number;

  @ConfigKey({
    kind: nonNegativeInt,
    defaultText: 'download_config.host_concurrency',
    doc: 'Downloads in flight to this host at once; 0 means no cap.',
  })
  concurrency?: number;
}

/** `[download_config.groups.<name>]`: a rate shared by every module whose `rateLimitGroup` names it. */
export interface RateLimitGroupConfig {
  readonly rate_limit: number;
}

export class RateLimitGroupConfigSection implements RateLimitGroupConfig {
  @ConfigKey({
    kind: nonNegativeNumber,
    required: true,
    doc: 'Requests per second for all modules of the group together; 0 means no limit.',
  })
  rate_limit!: number;
}

/** `[download_config]`: how pages are fetched. */
export interface DownloadConfig {
  readonly timeout: number;
  readonly rate_limit: number;
  readonly pool_size: number;
  readonly max_response_size: number;
  readonly cache_ttl: number;
  readonly downloader: string;
  readonly host_rate_limit: number;
  readonly host_concurrency: number;
  readonly hosts: Readonly<Record<string, HostDownloadConfig>>;
  readonly groups: Readonly<Record<string, RateLimitGroupConfig>>;
  readonly response_cache_bypass: boolean;
  readonly downloader_expire?: number;
  readonly enable_session?: boolean;
  readonly enable_locker?: boolean;
  readonly enable_rate_limit?: boolean;
  readonly wss_timeout?: number;
}

export class DownloadConfigSection implements DownloadConfig {
  @ConfigKey({
    kind: positiveNumber,
    default: 30,
    doc: 'Request timeout in seconds, used when neither the request nor its module sets one.',
  })
  timeout!: number;

  @ConfigKey({
    kind: nonNegativeNumber,
    default: 0,
    doc: 'Default download rate in requests per second per limit key; 0 means no limit. A module rate wins.',
  })
  rate_limit!: number;

  @ConfigKey({ kind: positiveInt, default: 200, doc: 'Maximum open connections kept per host.' })
  pool_size!: number;

  @ConfigKey({
    kind: positiveInt,
    default: 10 * 1024 * 1024,
    defaultText: '10485760 (10 MiB)',
    doc: 'Largest response body in bytes, checked against Content-Length and while reading.',
  })
  max_response_size!: number;

  @ConfigKey({
    kind: nonNegativeInt,
    default: 600,
    doc: 'Response-cache TTL in seconds, used when a module enables the response cache without a TTL.',
  })
  cache_ttl!: number;

  @ConfigKey({
    kind: nonEmptyStr,
    default: 'axios',
    doc: 'Built-in downloader: "axios" (alias "request_downloader", the seed name) or "undici" (faster). Replace it through MocraModule.forRoot({ downloader }).',
  })
  downloader!: string;

  @ConfigKey({
    kind: nonNegativeNumber,
    default: 0,
    doc: 'Default requests per second to any one host, all modules together; 0 means no limit. Per-host overrides go in `[download_config.hosts."<host>"]`.',
  })
  host_rate_limit!: number;

  @ConfigKey({
    kind: nonNegativeInt,
    default: 0,
    doc: 'Default downloads in flight to any one host; 0 means no cap.',
  })
  host_concurrency!: number;

  @ConfigKey({
    kind: namedTables(() => HostDownloadConfigSection),
    default: {},
    doc: 'Per-host politeness overrides: `[download_config.hosts."example.com"] rate_limit = 2`.',
  })
  hosts!: Record<string, HostDownloadConfig>;

  @ConfigKey({
    kind: namedTables(() => RateLimitGroupConfigSection),
    default: {},
    doc: 'Rate-limit groups shared by modules (`rateLimitGroup` option): `[download_config.groups.<name>] rate_limit = 5`.',
  })
  groups!: Record<string, RateLimitGroupConfig>;

  @ConfigKey({
    kind: bool,
    default: false,
    doc: 'Development switch: ignore the response cache (no reads, no writes) even where modules enable it.',
  })
  response_cache_bypass!: boolean;

  @ConfigKey({ kind: nonNegativeInt, compat: true, doc: 'Seed: idle expiry (s) of per-module downloaders.' })
  downloader_expire?: number;

  @ConfigKey({
    kind: bool,
    compat: true,
    doc: 'Seed: global session switch (sessions are per module or request).',
  })
  enable_session?: boolean;

  @ConfigKey({ kind: bool, compat: true, doc: 'Seed: global module-locker switch (locking is per module).' })
  enable_locker?: boolean;

  @ConfigKey({
    kind: bool,
    compat: true,
    doc: 'Seed: rate-limit switch (a rate of 0 or absent is "no limit").',
  })
  enable_rate_limit?: boolean;

  @ConfigKey({ kind: nonNegativeInt, compat: true, doc: 'Seed: websocket idle timeout in seconds.' })
  wss_timeout?: number;
}

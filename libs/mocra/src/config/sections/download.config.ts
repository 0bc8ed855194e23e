import { ConfigKey } from '../config-key.decorator.js';
import {
  bool,
  nonEmptyStr,
  nonNegativeInt,
  nonNegativeNumber,
  positiveInt,
  positiveNumber,
} from '../config-value.kinds.js';

/** `[download_config]`: how pages are fetched. */
export interface DownloadConfig {
  readonly timeout: number;
  readonly rate_limit: number;
  readonly pool_size: number;
  readonly max_response_size: number;
  readonly cache_ttl: number;
  readonly downloader: string;
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
    doc: 'Built-in downloader: "axios" (alias "request_downloader", the seed name). Replace it through MocraModule.forRoot({ downloader }).',
  })
  downloader!: string;

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

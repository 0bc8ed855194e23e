import type { ConfigIssue } from '../config.error.js';
import { ConfigKey, namedTables, table, type CrossFieldChecked } from '../config-key.decorator.js';
import { freeTable, namespaceName } from '../config-value.kinds.js';
import { ApiConfigSection } from './api.config.js';
import { CacheConfigSection } from './cache.config.js';
import { ChannelConfigSection } from './channel.config.js';
import { CrawlerConfigSection } from './crawler.config.js';
import { DownloadConfigSection } from './download.config.js';
import { LoggerConfigSection } from './logger.config.js';
import { ModuleConfigSection } from './module.config.js';
import { PolicyConfigSection } from './policy.config.js';
import { ProxyConfigSection } from './proxy.config.js';
import { RaftConfigSection } from './raft.config.js';
import { SchedulerConfigSection } from './scheduler.config.js';

const NO_SQL_STORE = 'has no effect in mocra-ts (no SQL store)';

/** The top level of a mocra config: `name` and one key per section. */
export class RootConfigSection implements CrossFieldChecked {
  @ConfigKey({
    kind: namespaceName,
    required: true,
    doc: 'Namespace of this deployment: prefixes Kafka topics, cache keys and the Raft cluster. Required.',
  })
  name!: string;

  @ConfigKey({ kind: table(() => DownloadConfigSection), default: {}, doc: 'Downloading.' })
  download_config!: DownloadConfigSection;

  @ConfigKey({ kind: table(() => CacheConfigSection), default: {}, doc: 'Cache, lock and rate-limit store.' })
  cache!: CacheConfigSection;

  @ConfigKey({
    kind: table(() => CrawlerConfigSection),
    default: {},
    doc: 'Retries, error limits, concurrency.',
  })
  crawler!: CrawlerConfigSection;

  @ConfigKey({ kind: table(() => ChannelConfigSection), default: {}, doc: 'Queues (local or Kafka).' })
  channel_config!: ChannelConfigSection;

  @ConfigKey({
    kind: table(() => ApiConfigSection),
    defaultText: 'none (no HTTP server)',
    doc: 'HTTP control plane: health, metrics, dispatch, DLQ, cluster, control.',
  })
  api?: ApiConfigSection;

  @ConfigKey({
    kind: table(() => RaftConfigSection),
    defaultText: 'none (single node)',
    doc: 'Raft cluster membership; needed for cache.backend = "raft".',
  })
  raft?: RaftConfigSection;

  @ConfigKey({
    kind: table(() => ProxyConfigSection),
    default: {},
    doc: 'Proxy pools. A request uses a proxy only when it or its module names one: HTTP_PROXY, HTTPS_PROXY and ALL_PROXY are ignored.',
  })
  proxy!: ProxyConfigSection;

  @ConfigKey({ kind: table(() => SchedulerConfigSection), default: {}, doc: 'Cron scheduling.' })
  scheduler!: SchedulerConfigSection;

  @ConfigKey({ kind: table(() => LoggerConfigSection), default: {}, doc: 'Logging.' })
  logger!: LoggerConfigSection;

  @ConfigKey({
    kind: table(() => PolicyConfigSection),
    default: {},
    doc: 'Error policy: retries, backoff, DLQ.',
  })
  policy!: PolicyConfigSection;

  @ConfigKey({
    kind: namedTables(() => ModuleConfigSection),
    default: {},
    doc: 'Per-module settings, one table per `@CrawlerModule` name: `[modules.<name>]`.',
  })
  modules!: Record<string, ModuleConfigSection>;

  @ConfigKey({ kind: freeTable, ignored: true, note: `[db] ${NO_SQL_STORE}`, doc: 'Seed: SQL database.' })
  db?: Record<string, unknown>;

  @ConfigKey({
    kind: freeTable,
    ignored: true,
    note: `[sync] ${NO_SQL_STORE}`,
    doc: 'Seed: state sync service.',
  })
  sync?: Record<string, unknown>;

  @ConfigKey({
    kind: freeTable,
    ignored: true,
    note: `[event_bus] ${NO_SQL_STORE}`,
    doc: 'Seed: internal event bus.',
  })
  event_bus?: Record<string, unknown>;

  checkFields(): ConfigIssue[] {
    if (this.cache?.backend === 'raft' && this.raft === undefined) {
      return [{ path: 'cache.backend', message: '"raft" needs a [raft] section (addr, peers, data_dir)' }];
    }
    return [];
  }
}

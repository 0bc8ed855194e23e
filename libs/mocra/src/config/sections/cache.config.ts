import { ConfigKey } from '../config-key.decorator.js';
import { bool, nonNegativeInt, oneOf, positiveInt } from '../config-value.kinds.js';

export const CACHE_BACKENDS = ['local', 'raft'] as const;
export type CacheBackend = (typeof CACHE_BACKENDS)[number];

/** `[cache]`: the state store for cache entries, locks and rate limits. */
export interface CacheConfig {
  readonly ttl: number;
  readonly backend: CacheBackend;
  readonly compression_threshold?: number;
  readonly enable_l1?: boolean;
  readonly l1_ttl_secs?: number;
  readonly l1_max_entries?: number;
}

export class CacheConfigSection implements CacheConfig {
  @ConfigKey({
    kind: positiveInt,
    default: 3600,
    doc: 'Default TTL in seconds of cache entries and error counters.',
  })
  ttl!: number;

  @ConfigKey({
    kind: oneOf(CACHE_BACKENDS, ' (alias "raft_rocksdb" = "raft")'),
    default: 'local',
    doc: 'Where cache, locks and rate limits live: "local" (this process) or "raft" (replicated; needs [raft]).',
  })
  backend!: CacheBackend;

  @ConfigKey({ kind: nonNegativeInt, compat: true, doc: 'Seed: value compression threshold in bytes.' })
  compression_threshold?: number;

  @ConfigKey({ kind: bool, compat: true, doc: 'Seed: in-process L1 cache switch.' })
  enable_l1?: boolean;

  @ConfigKey({ kind: nonNegativeInt, compat: true, doc: 'Seed: L1 cache TTL in seconds.' })
  l1_ttl_secs?: number;

  @ConfigKey({ kind: positiveInt, compat: true, doc: 'Seed: L1 cache size.' })
  l1_max_entries?: number;
}

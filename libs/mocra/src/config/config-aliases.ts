import type { ConfigIssue } from './config.error.js';
import { isTable } from './config-value.kinds.js';

/**
 * Rewrites the seed's alternative spellings to the canonical ones, in place, on a private copy of the raw config.
 * It runs before validation, so the rest of the loader only ever sees canonical names.
 */
export function normaliseAliases(raw: Record<string, unknown>, notes: string[], issues: ConfigIssue[]): void {
  const logger = raw['logger'];
  if (isTable(logger) && logger['enable'] !== undefined) {
    if (logger['enabled'] !== undefined) {
      issues.push({ path: 'logger', message: 'set either "enabled" or its alias "enable", not both' });
    } else {
      logger['enabled'] = logger['enable'];
    }
    delete logger['enable'];
  }

  const cache = raw['cache'];
  if (isTable(cache) && cache['backend'] === 'raft_rocksdb') {
    cache['backend'] = 'raft';
    notes.push('cache.backend: "raft_rocksdb" is the seed\'s name for "raft"; using "raft"');
  }

  const channel = raw['channel_config'];
  if (!isTable(channel)) return;
  if (channel['queue_codec'] === 'rmp') channel['queue_codec'] = 'msgpack';
  const kafka = channel['kafka'];
  // The seed writes brokers as one comma-separated string.
  if (isTable(kafka) && typeof kafka['brokers'] === 'string') {
    kafka['brokers'] = kafka['brokers']
      .split(',')
      .map((broker) => broker.trim())
      .filter((broker) => broker !== '');
  }
}

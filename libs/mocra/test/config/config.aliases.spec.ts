import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { configErrorOf } from './config-fixtures.js';

describe('seed aliases and compatibility', () => {
  it('normalises cache backend "raft_rocksdb" to "raft" and notes it', () => {
    const config = loadConfig({
      name: 'x',
      cache: { backend: 'raft_rocksdb' },
      raft: { addr: '127.0.0.1:7001' },
    });
    expect(config.cache.backend).toBe('raft');
    expect(config.notes).toEqual([expect.stringContaining('cache.backend: "raft_rocksdb"')]);
  });

  it('refuses cache backend "raft" without a [raft] section, naming cache.backend', () => {
    const error = configErrorOf(() => loadConfig({ name: 'x', cache: { backend: 'raft' } }));
    expect(error.issues).toEqual([
      { path: 'cache.backend', message: '"raft" needs a [raft] section (addr, peers, data_dir)' },
    ]);
  });

  it('normalises queue_codec "rmp" to "msgpack"', () => {
    expect(loadConfig({ name: 'x', channel_config: { queue_codec: 'rmp' } }).channel_config.queue_codec).toBe(
      'msgpack',
    );
  });

  it('accepts logger "enable" as "enabled", but not both', () => {
    const config = loadConfig({ name: 'x', logger: { enable: false } });
    expect(config.logger.enabled).toBe(false);
    expect('enable' in config.logger).toBe(false);
    const error = configErrorOf(() => loadConfig({ name: 'x', logger: { enable: false, enabled: true } }));
    expect(error.issues).toEqual([
      { path: 'logger', message: 'set either "enabled" or its alias "enable", not both' },
    ]);
  });

  it('splits the seed comma-separated brokers string', () => {
    const config = loadConfig({ name: 'x', channel_config: { kafka: { brokers: 'a:9092, b:9092' } } });
    expect(config.channel_config.kafka?.brokers).toEqual(['a:9092', 'b:9092']);
  });

  it('accepts [db], [sync] and [event_bus], drops them and notes that they have no effect', () => {
    const config = loadConfig({
      name: 'x',
      db: { url: 'postgres://localhost/x', pool_size: 10 },
      sync: { envelope_enabled: true },
      event_bus: { capacity: 1024 },
    });
    expect('db' in config || 'sync' in config || 'event_bus' in config).toBe(false);
    expect(config.notes).toEqual([
      '[db] has no effect in mocra-ts (no SQL store)',
      '[sync] has no effect in mocra-ts (no SQL store)',
      '[event_bus] has no effect in mocra-ts (no SQL store)',
    ]);
  });

  it('accepts a full seed config, noting keys without effect once each', () => {
    const config = loadConfig({
      name: 'seed',
      db: { url: 'sqlite://x.db' },
      download_config: {
        downloader_expire: 3600,
        timeout: 30,
        rate_limit: 10,
        enable_session: false,
        enable_locker: true,
        enable_rate_limit: true,
        cache_ttl: 60,
        wss_timeout: 30,
      },
      cache: { ttl: 60, compression_threshold: 1024, enable_l1: true },
      crawler: {
        request_max_retries: 3,
        task_max_errors: 10,
        module_max_errors: 10,
        module_locker_ttl: 60,
        scheduler_ingress_cutover_gate: { failure_threshold: 3, gray_ratio: 1.0 },
      },
      channel_config: { minid_time: 24, capacity: 5000, federation_request_namespaces: ['other'] },
      logger: {
        enable: true,
        level: 'info',
        outputs: [
          { type: 'console' },
          { type: 'mq', backend: 'kafka', topic: 'logs' },
          { type: 'mq', backend: 'kafka', topic: 'logs2' },
        ],
      },
      policy: { overrides: [{ kind: 'Download', alert: 'warn' }] },
    });
    expect(config.download_config.rate_limit).toBe(10);
    expect(config.notes).toContain(
      'download_config.wss_timeout: accepted for compatibility, no effect in mocra-ts',
    );
    expect(config.notes).toContain(
      'crawler.scheduler_ingress_cutover_gate: accepted for compatibility, no effect in mocra-ts',
    );
    expect(config.notes.filter((n) => n.startsWith('logger.outputs[].topic'))).toHaveLength(1);
    expect(config.notes).toContain(
      'policy.overrides[].alert: accepted for compatibility, no effect in mocra-ts',
    );
    expect(config.notes.some((note) => note.includes('download_config.timeout'))).toBe(false);
  });
});

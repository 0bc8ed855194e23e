import { describe, expect, it } from 'vitest';
import { defaultConfig, describeConfigKeys, loadConfig, type MocraConfig } from '../../src/config/index.js';
import { makeTempDir } from './config-fixtures.js';

const TOML = `
name = "shop"

[download_config]
timeout = 12
rate_limit = 2.5
downloader = "axios"

[cache]
ttl = 90
backend = "local"

[crawler]
node_id = "node-a"
task_concurrency = 8
dedup = false

[channel_config]
capacity = 1024
minid_time = 0
queue_codec = "json"
durable_path = "./queue-{name}"

[channel_config.kafka]
brokers = ["127.0.0.1:9092", "127.0.0.1:9093"]
tls = true

[api]
port = 8805
api_key = "secret"

[raft]
addr = "127.0.0.1:7001"
peers = ["127.0.0.1:7002"]

[[proxy.direct]]
name = "p1"
url = "http://127.0.0.1:3128"

[[proxy.direct]]
url = "https://127.0.0.1:3129"
rate_limit = 0

[logger]
level = "debug"
outputs = [{ type = "console" }, { type = "file", path = "logs/{name}.log" }]

[[policy.overrides]]
kind = "Download"
max_retries = 5
backoff = { type = "exponential", base_ms = 500, max_ms = 60000 }
dlq = "on_exhausted"

[modules.catalog]
rate_limit = 4
cron = "0 */10 * * * *"

[modules.catalog.settings]
base = "http://127.0.0.1:8080"
pages = [1, 2, 3]
nested = { deep = { flag = true } }
`;

const OBJECT = {
  name: 'shop',
  download_config: { timeout: 12, rate_limit: 2.5, downloader: 'axios' },
  cache: { ttl: 90, backend: 'local' },
  crawler: { node_id: 'node-a', task_concurrency: 8, dedup: false },
  channel_config: {
    capacity: 1024,
    minid_time: 0,
    queue_codec: 'json',
    durable_path: './queue-{name}',
    kafka: { brokers: ['127.0.0.1:9092', '127.0.0.1:9093'], tls: true },
  },
  api: { port: 8805, api_key: 'secret' },
  raft: { addr: '127.0.0.1:7001', peers: ['127.0.0.1:7002'] },
  proxy: {
    direct: [
      { name: 'p1', url: 'http://127.0.0.1:3128' },
      { url: 'https://127.0.0.1:3129', rate_limit: 0 },
    ],
  },
  logger: { level: 'debug', outputs: [{ type: 'console' }, { type: 'file', path: 'logs/{name}.log' }] },
  policy: {
    overrides: [
      {
        kind: 'Download',
        max_retries: 5,
        backoff: { type: 'exponential', base_ms: 500, max_ms: 60000 },
        dlq: 'on_exhausted',
      },
    ],
  },
  modules: {
    catalog: {
      rate_limit: 4,
      cron: '0 */10 * * * *',
      settings: { base: 'http://127.0.0.1:8080', pages: [1, 2, 3], nested: { deep: { flag: true } } },
    },
  },
};

/** Reads a value at a docs path such as `crawler.task_concurrency` (sections only, no arrays). */
function valueAt(config: MocraConfig, path: string): unknown {
  let value: unknown = config;
  for (const key of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[key];
  return value;
}

describe('loadConfig', () => {
  it('gives the same config from a TOML file and from the equivalent object', () => {
    const tmp = makeTempDir();
    try {
      const file = tmp.write('mocra.toml', TOML);
      const fromFile = loadConfig(file, { baseDir: tmp.dir });
      const fromObject = loadConfig(OBJECT, { baseDir: tmp.dir });
      expect(fromFile).toEqual(fromObject);
      expect(fromFile.crawler.task_concurrency).toBe(8);
      expect(fromFile.channel_config.kafka?.brokers).toEqual(['127.0.0.1:9092', '127.0.0.1:9093']);
      expect(fromFile.proxy.direct.map((p) => p.url)).toEqual([
        'http://127.0.0.1:3128',
        'https://127.0.0.1:3129',
      ]);
      expect(fromFile.policy.overrides[0]?.backoff).toEqual({
        type: 'exponential',
        base_ms: 500,
        max_ms: 60000,
      });
    } finally {
      tmp.cleanup();
    }
  });

  it('resolves a relative TOML path against baseDir', () => {
    const tmp = makeTempDir();
    try {
      tmp.write('relative.toml', 'name = "rel"\n');
      expect(loadConfig('relative.toml', { baseDir: tmp.dir }).name).toBe('rel');
    } finally {
      tmp.cleanup();
    }
  });

  it('substitutes {name} in path keys and resolves them against baseDir', () => {
    const config = loadConfig(OBJECT, { baseDir: '/srv/crawl' });
    expect(config.channel_config.durable_path).toBe('/srv/crawl/queue-shop');
    expect(config.raft?.data_dir).toBe('/srv/crawl/raft_data/shop');
    expect(config.logger.outputs[1]?.path).toBe('/srv/crawl/logs/shop.log');
  });

  it('fills the seed defaults when only name is given', () => {
    const config = defaultConfig('solo');
    expect(config.download_config).toMatchObject({
      timeout: 30,
      rate_limit: 0,
      pool_size: 200,
      max_response_size: 10 * 1024 * 1024,
      cache_ttl: 600,
      downloader: 'axios',
    });
    expect(config.cache).toEqual({ ttl: 3600, backend: 'local' });
    expect(config.channel_config).toMatchObject({
      capacity: 10000,
      queue_codec: 'msgpack',
      nack_max_retries: 3,
    });
    expect(config.crawler).toMatchObject({ request_max_retries: 3, task_concurrency: 64, dedup: true });
    expect(config.proxy.pool_config).toEqual({
      min_size: 5,
      max_size: 50,
      max_errors: 3,
      health_check_interval_secs: 300,
      refill_threshold: 0.3,
    });
    expect(config.logger.outputs).toEqual([{ type: 'console', format: 'text' }]);
    expect(loadConfig({ name: 'x', logger: { format: 'json' } }).logger.outputs[0]?.format).toBe('json');
    expect(config.modules).toEqual({});
    expect(config.notes).toEqual([]);
  });

  it('leaves the feature-switching sections absent by default', () => {
    const config = defaultConfig('solo');
    expect(config.api).toBeUndefined();
    expect(config.raft).toBeUndefined();
    expect(config.channel_config.kafka).toBeUndefined();
    expect(config.channel_config.durable_path).toBeUndefined();
    expect('api_key' in loadConfig({ name: 'x', api: { port: 1 } }).api!).toBe(false);
  });

  it('applies every literal default it documents', () => {
    // The optional sections present with only their required keys, so their defaults show too.
    const config = loadConfig({
      name: 'solo',
      api: { port: 8080 },
      raft: { addr: '127.0.0.1:7001' },
      channel_config: { kafka: { brokers: ['127.0.0.1:9092'] } },
    });
    const literal = describeConfigKeys().filter(
      (row) =>
        !row.path.includes('[]') &&
        !row.path.includes('<name>') &&
        /^(-?[\d.]+|"[^"]*"|true|false)$/.test(row.default),
    );
    expect(literal.length).toBeGreaterThan(40);
    for (const row of literal) {
      expect({ path: row.path, value: valueAt(config, row.path) }).toEqual({
        path: row.path,
        value: JSON.parse(row.default),
      });
    }
  });

  it('derives defaults from other keys', () => {
    const config = loadConfig({ name: 'x', crawler: { task_concurrency: 7 } });
    expect(config.crawler.parser_concurrency).toBe(7);
    expect(config.crawler.publish_concurrency).toBe(7);
    expect(
      loadConfig({ name: 'x', crawler: { task_concurrency: 7, parser_concurrency: 3 } }).crawler,
    ).toMatchObject({ parser_concurrency: 3, publish_concurrency: 7 });
  });

  it('generates a node id per load unless one is set', () => {
    const a = defaultConfig('x').crawler.node_id;
    const b = defaultConfig('x').crawler.node_id;
    expect(a).toMatch(/^node-[0-9a-f]+$/);
    expect(a).not.toBe(b);
    expect(loadConfig({ name: 'x', crawler: { node_id: 'fixed' } }).crawler.node_id).toBe('fixed');
  });

  it('keeps module settings free-form and unchecked', () => {
    const settings = { anyKey: 1, 'odd key': ['a', { b: null }], nested: { deep: { x: 'y' } } };
    const config = loadConfig({ name: 'x', modules: { 'shop.v2': { settings } } });
    expect(config.modules['shop.v2']?.settings).toEqual(settings);
    expect(config.modules['shop.v2']?.enabled).toBe(true);
  });

  it('returns a deeply frozen object and leaves the input untouched', () => {
    const input = { name: 'x', crawler: { task_concurrency: 2 }, modules: { m: { settings: { a: [1] } } } };
    const snapshot = structuredClone(input);
    const config = loadConfig(input);
    expect(input).toEqual(snapshot);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.crawler)).toBe(true);
    expect(Object.isFrozen(config.modules['m']?.settings['a'])).toBe(true);
    expect(() => {
      (config.crawler as { task_concurrency: number }).task_concurrency = 1;
    }).toThrow(TypeError);
    expect(config.modules['m']?.settings).not.toBe(input.modules.m.settings);
  });

  it('returns an already loaded config unchanged, so it can be passed on', () => {
    const config = loadConfig({ name: 'x' });
    expect(loadConfig(config)).toBe(config);
    expect(loadConfig(config).crawler.node_id).toBe(config.crawler.node_id);
  });

  it('accepts the seed local-development snippet plus a name', () => {
    const tmp = makeTempDir();
    try {
      const file = tmp.write(
        'seed.toml',
        'name = "dev"\n[cache]\nttl = 3600\nbackend = "local"\n[channel_config]\nminid_time = 0\ncapacity = 1024\nqueue_codec = "msgpack"\n',
      );
      const config = loadConfig(file);
      expect(config.channel_config.capacity).toBe(1024);
      expect(config.cache.backend).toBe('local');
    } finally {
      tmp.cleanup();
    }
  });
});

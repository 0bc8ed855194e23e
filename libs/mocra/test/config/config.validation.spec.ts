import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { configErrorOf, issueAt } from './config-fixtures.js';

describe('config validation', () => {
  it('requires name', () => {
    const error = configErrorOf(() => loadConfig({ crawler: { task_concurrency: 2 } }));
    expect(error.issues).toEqual([{ path: 'name', message: 'is required' }]);
    expect(error.message).toMatch(/^ {2}name: is required$/m);
  });

  it.each([[''], ['my topic'], ['a/b']])('rejects name %j, which cannot prefix a Kafka topic', (name) => {
    const error = configErrorOf(() => loadConfig({ name }));
    expect(issueAt(error, 'name')?.message).toMatch(/^must be a non-empty string of letters.*, got /);
  });

  it('names the key path and the offending value of a wrong type', () => {
    const error = configErrorOf(() => loadConfig({ name: 'x', channel_config: { capacity: 'ten' } }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.issues).toEqual([
      { path: 'channel_config.capacity', message: 'must be a positive integer, got "ten"' },
    ]);
    expect(error.message).toContain('channel_config.capacity: must be a positive integer, got "ten"');
  });

  it('does not coerce: a numeric string for a number and a number for a string are both errors', () => {
    const error = configErrorOf(() =>
      loadConfig({
        name: 'x',
        download_config: { timeout: '30', downloader: 5 },
        crawler: { dedup: 'true' },
      }),
    );
    expect(issueAt(error, 'download_config.timeout')?.message).toBe('must be a positive number, got "30"');
    expect(issueAt(error, 'download_config.downloader')?.message).toBe('must be a non-empty string, got 5');
    expect(issueAt(error, 'crawler.dedup')?.message).toBe('must be a boolean (true or false), got "true"');
  });

  it('rejects null rather than treating it as absent', () => {
    const error = configErrorOf(() => loadConfig({ name: 'x', crawler: { task_concurrency: null } }));
    expect(issueAt(error, 'crawler.task_concurrency')?.message).toBe('must be a positive integer, got null');
  });

  it('reports every issue at once, one line each', () => {
    const error = configErrorOf(() =>
      loadConfig({ name: 'x', cache: { ttl: -1, backend: 'redis' }, scheduler: { concurrency: 1.5 } }),
    );
    expect(error.issues.map((i) => i.path)).toEqual(['cache.ttl', 'cache.backend', 'scheduler.concurrency']);
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('invalid mocra configuration object (3 issues):');
    expect(lines.slice(1)).toEqual(error.issues.map((i) => `  ${i.path}: ${i.message}`));
  });

  it('rejects an unknown top-level key with a suggestion', () => {
    const error = configErrorOf(() => loadConfig({ name: 'x', chanel_config: {} }));
    expect(error.issues).toEqual([
      { path: '', message: 'unknown key "chanel_config" (did you mean "channel_config"?)' },
    ]);
    expect(error.message).toContain('(top level): unknown key "chanel_config"');
  });

  it('rejects an unknown key in a section with a suggestion', () => {
    const error = configErrorOf(() => loadConfig({ name: 'x', crawler: { request_max_retry: 3 } }));
    expect(error.message).toContain(
      'crawler: unknown key "request_max_retry" (did you mean "request_max_retries"?)',
    );
  });

  it('rejects an unknown key without a suggestion when nothing is close', () => {
    const error = configErrorOf(() => loadConfig({ name: 'x', api: { port: 80, zzzzzzzz: 1 } }));
    expect(error.issues).toEqual([{ path: 'api', message: 'unknown key "zzzzzzzz"' }]);
  });

  it('names the index of an array-of-tables entry', () => {
    const error = configErrorOf(() =>
      loadConfig({
        name: 'x',
        proxy: { direct: [{ url: 'http://127.0.0.1:1' }, { url: 'x', rate_limt: 1 }] },
      }),
    );
    expect(error.issues).toEqual(
      expect.arrayContaining([
        { path: 'proxy.direct[1]', message: 'unknown key "rate_limt" (did you mean "rate_limit"?)' },
        { path: 'proxy.direct[1].url', message: 'must be a URL (http://, https://, ws://, wss://), got "x"' },
      ]),
    );
    expect(error.issues).toHaveLength(2);
  });

  it('checks the shape of tables and arrays of tables', () => {
    const error = configErrorOf(() =>
      loadConfig({ name: 'x', crawler: 5, proxy: { tunnel: { name: 't' }, direct: ['http://a'] } }),
    );
    expect(issueAt(error, 'crawler')?.message).toBe('must be a table, got 5');
    expect(issueAt(error, 'proxy.tunnel')?.message).toBe('must be an array of tables, got {"name":"t"}');
    expect(issueAt(error, 'proxy.direct[0]')?.message).toBe('must be a table, got "http://a"');
  });

  it('validates module tables by name, quoting names that need it, and leaves settings free', () => {
    const error = configErrorOf(() =>
      loadConfig({
        name: 'x',
        modules: {
          'shop.v2': { enabeld: false, concurrency: 0, settings: { whatever: { x: 1 } } },
          plain: 'on',
          timed: { cron: 'every minute' },
        },
      }),
    );
    expect(error.issues).toEqual(
      expect.arrayContaining([
        { path: 'modules."shop.v2"', message: 'unknown key "enabeld" (did you mean "enabled"?)' },
        { path: 'modules."shop.v2".concurrency', message: 'must be a positive integer, got 0' },
        { path: 'modules.plain', message: 'must be a table, got "on"' },
      ]),
    );
    expect(issueAt(error, 'modules.timed.cron')?.message).toMatch(
      /^must be a cron expression .*got "every minute"$/,
    );
    expect(error.issues).toHaveLength(4);
  });

  it('requires the key that defines an optional section when the section is present', () => {
    const error = configErrorOf(() =>
      loadConfig({ name: 'x', api: {}, raft: {}, channel_config: { kafka: { tls: true } } }),
    );
    expect(error.issues).toEqual(
      expect.arrayContaining([
        { path: 'api.port', message: 'is required' },
        { path: 'raft.addr', message: 'is required' },
        { path: 'channel_config.kafka.brokers', message: 'is required' },
      ]),
    );
  });

  it('checks ranges: ports, host:port addresses and ratios', () => {
    const error = configErrorOf(() =>
      loadConfig({
        name: 'x',
        api: { port: 70000 },
        raft: { addr: 'localhost', peers: ['127.0.0.1:7002', 'nope'] },
        proxy: { pool_config: { refill_threshold: 1.5 } },
      }),
    );
    expect(issueAt(error, 'api.port')?.message).toBe('must be an integer from 1 to 65535, got 70000');
    expect(issueAt(error, 'raft.addr')?.message).toMatch(/^must be "host:port".*got "localhost"$/);
    expect(issueAt(error, 'raft.peers[1]')?.message).toMatch(/got "nope"$/);
    expect(issueAt(error, 'proxy.pool_config.refill_threshold')?.message).toBe(
      'must be a number from 0 to 1, got 1.5',
    );
  });

  it('never echoes a secret in a message', () => {
    const error = configErrorOf(() => loadConfig({ name: 'x', api: { port: 1, api_key: 12345678 } }));
    expect(issueAt(error, 'api.api_key')?.message).toBe('must be a non-empty string, got a hidden value');
    expect(error.message).not.toContain('12345678');
  });

  describe('cross-field rules', () => {
    it.each([
      [500, 500],
      [500, 5001],
      [100, 50],
    ])('rejects heartbeat %i with election timeout %i, naming both keys', (heartbeat, election) => {
      const error = configErrorOf(() =>
        loadConfig({
          name: 'x',
          raft: { addr: '127.0.0.1:7001', heartbeat_interval_ms: heartbeat, election_timeout_ms: election },
        }),
      );
      expect(error.issues).toHaveLength(1);
      expect(error.issues[0]?.path).toBe('raft.election_timeout_ms');
      expect(error.issues[0]?.message).toContain(`raft.heartbeat_interval_ms (${heartbeat})`);
      expect(error.issues[0]?.message).toContain(`got ${election}`);
    });

    it('accepts an election timeout between heartbeat and 10x heartbeat', () => {
      const config = loadConfig({
        name: 'x',
        raft: { addr: '127.0.0.1:7001', heartbeat_interval_ms: 100, election_timeout_ms: 1000 },
      });
      expect(config.raft?.election_timeout_ms).toBe(1000);
      expect(() =>
        loadConfig({
          name: 'x',
          raft: { addr: '127.0.0.1:7001', heartbeat_interval_ms: 100, election_timeout_ms: 1001 },
        }),
      ).toThrow(ConfigError);
    });

    it('checks the default heartbeat against a configured election timeout', () => {
      const error = configErrorOf(() =>
        loadConfig({ name: 'x', raft: { addr: '127.0.0.1:7001', election_timeout_ms: 400 } }),
      );
      expect(issueAt(error, 'raft.election_timeout_ms')?.message).toContain(
        'raft.heartbeat_interval_ms (500)',
      );
    });

    it('checks policy backoff shapes', () => {
      const error = configErrorOf(() =>
        loadConfig({
          name: 'x',
          policy: {
            overrides: [
              { kind: 'Download', backoff: { type: 'linear', base_ms: 100 } },
              { kind: 'Parser', backoff: { type: 'none', max_ms: 5 } },
              { kind: 'Proxy', backoff: { type: 'exponential', base_ms: 100, max_ms: 10 } },
              { kind: 'Orm' },
            ],
          },
        }),
      );
      expect(error.issues).toEqual([
        {
          path: 'policy.overrides[3].kind',
          message: expect.stringMatching(/^must be one of "Request".*got "Orm"$/),
        },
        { path: 'policy.overrides[0].backoff.max_ms', message: 'is required for type "linear"' },
        { path: 'policy.overrides[1].backoff.max_ms', message: 'does not apply to backoff type "none"' },
        { path: 'policy.overrides[2].backoff.max_ms', message: 'must be at least base_ms (100), got 10' },
      ]);
    });

    it('checks keys that belong to one log output type', () => {
      const error = configErrorOf(() =>
        loadConfig({
          name: 'x',
          logger: { outputs: [{ type: 'file' }, { type: 'console', topic: 'logs' }] },
        }),
      );
      expect(error.issues).toEqual([
        { path: 'logger.outputs[0].path', message: 'is required for an output of type "file"' },
        { path: 'logger.outputs[1].topic', message: 'applies to outputs of type "mq", not "console"' },
      ]);
    });

    it('checks the proxy pool bounds and Kafka credentials', () => {
      const error = configErrorOf(() =>
        loadConfig({
          name: 'x',
          proxy: { pool_config: { min_size: 60 } },
          channel_config: { kafka: { brokers: [], username: 'u' } },
        }),
      );
      expect(error.issues).toEqual(
        expect.arrayContaining([
          {
            path: 'proxy.pool_config.min_size',
            message: 'must be at most proxy.pool_config.max_size (50), got 60',
          },
          { path: 'channel_config.kafka.brokers', message: 'must list at least one broker' },
          {
            path: 'channel_config.kafka',
            message: 'username and password must be set together (SASL/PLAIN)',
          },
        ]),
      );
    });
  });

  it('refuses __proto__ keys, which would rewrite a section prototype', () => {
    const input = JSON.parse('{"name":"x","crawler":{"__proto__":{"task_concurrency":1}}}') as Record<
      string,
      unknown
    >;
    const error = configErrorOf(() => loadConfig(input));
    expect(error.issues).toEqual([{ path: 'crawler', message: 'key "__proto__" is not allowed' }]);
  });

  it('accepts only TOML-compatible data in an object config', () => {
    const error = configErrorOf(() =>
      loadConfig({
        name: 'x',
        modules: { m: { settings: { client: new Map(), hook: () => 1, when: new Date(0) } } },
      }),
    );
    expect(error.issues).toEqual([
      {
        path: 'modules.m.settings.client',
        message: 'must be plain data (TOML-compatible), got an instance of Map',
      },
      { path: 'modules.m.settings.hook', message: 'must be plain data (TOML-compatible), got a function' },
    ]);
  });

  it('rejects a source that is not a table', () => {
    const error = configErrorOf(() => loadConfig([] as unknown as Record<string, unknown>));
    expect(error.issues).toEqual([{ path: '', message: 'must be a table (an object of sections)' }]);
  });
});

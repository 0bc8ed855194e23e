import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { configErrorOf, makeTempDir } from './config-fixtures.js';

describe('TOML files', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  it('reports a syntax error with the file, line and column', () => {
    const file = tmp.write('broken.toml', 'name = "x"\n\n[crawler]\ntask_concurrency = = 4\n');
    const error = configErrorOf(() => loadConfig(file));
    expect(error.source).toBe(file);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.location).toMatch(new RegExp(`^${file}:4:\\d+$`));
    expect(error.issues[0]?.message).toMatch(/^TOML syntax error: /);
    expect(error.message.split('\n')).toEqual([
      `invalid mocra configuration file ${file} (1 issue):`,
      `  ${error.issues[0]?.location}: ${error.issues[0]?.message}`,
    ]);
  });

  it('names the file when a key is invalid', () => {
    const file = tmp.write('typo.toml', 'name = "x"\n[crawler]\nrequest_max_retry = 3\n');
    const error = configErrorOf(() => loadConfig(file));
    expect(error.message.split('\n')).toEqual([
      `invalid mocra configuration file ${file} (1 issue):`,
      '  crawler: unknown key "request_max_retry" (did you mean "request_max_retries"?)',
    ]);
  });

  it('reports a missing file by path', () => {
    const missing = join(tmp.dir, 'absent.toml');
    const error = configErrorOf(() => loadConfig(missing));
    expect(error.source).toBe(missing);
    expect(error.issues[0]?.message).toMatch(/^cannot read the file: .*ENOENT/);
  });

  it('reads arrays of tables and TOML date-times', () => {
    const file = tmp.write(
      'proxies.toml',
      [
        'name = "x"',
        '[[proxy.tunnel]]',
        'name = "t1"',
        'endpoint = "127.0.0.1:9000"',
        'expire_time = 2030-01-01T00:00:00Z',
        '[[proxy.tunnel]]',
        'name = "t2"',
        'endpoint = "127.0.0.1:9001"',
        'rate_limit = 3',
      ].join('\n'),
    );
    const config = loadConfig(file);
    expect(config.proxy.tunnel.map((t) => [t.name, t.rate_limit])).toEqual([
      ['t1', 10],
      ['t2', 3],
    ]);
    expect(new Date(config.proxy.tunnel[0]?.expire_time as Date).toISOString()).toBe(
      '2030-01-01T00:00:00.000Z',
    );
  });
});

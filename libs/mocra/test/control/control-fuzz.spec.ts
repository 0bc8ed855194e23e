import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootControlApp, startSite, type ControlApp, type TestSite } from './control-fixtures.js';

const KEY = 'fuzz-key';

/** mulberry32: a seeded generator, so a failing case can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIELDS = [
  'account',
  'platform',
  'module',
  'priority',
  'runId',
  'enabled',
  'rate_limit',
  'concurrency',
  'cron',
  '__proto__',
  'constructor',
  'toString',
];
const STRINGS = [
  '',
  'shop',
  'broken',
  'high',
  'low',
  '* * * * * *',
  '💥',
  'a'.repeat(300),
  '../../etc',
  '%00',
  '\u0000',
];

describe('fuzz: random and malformed requests to every protected route', () => {
  let site: TestSite;
  let ctl: ControlApp;

  beforeAll(async () => {
    site = await startSite(2);
    ctl = await bootControlApp({ site, apiKey: KEY, bodyLimit: 2048 });
  });
  afterAll(async () => {
    await ctl?.close();
    await site?.close();
  });

  it('1,000 requests: never a 5xx, and the server keeps answering', async () => {
    const rnd = prng(20261124);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const value = (depth: number): unknown => {
      switch (Math.floor(rnd() * (depth > 2 ? 6 : 8))) {
        case 0:
          return null;
        case 1:
          return rnd() < 0.5;
        case 2:
          return pick([0, -1, 1, 1.5, 1e308, -1e308, 2 ** 53, 500, 100_001]);
        case 3:
        case 4:
          return pick(STRINGS);
        case 5:
          return Math.floor(rnd() * 1000);
        case 6:
          return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
        default: {
          const o: Record<string, unknown> = {};
          for (let i = Math.floor(rnd() * 4); i > 0; i--) o[pick(FIELDS)] = value(depth + 1);
          return o;
        }
      }
    };
    const body = (): { text?: string; type?: string } => {
      const r = rnd();
      if (r < 0.15) return {};
      if (r < 0.25)
        return {
          text: pick(['{', '{"module":', 'null', '[]', '""', '{"a":1}}', 'x'.repeat(3000)]),
          type: 'application/json',
        };
      if (r < 0.3)
        return {
          text: 'a=1&b=2',
          type: pick(['application/x-www-form-urlencoded', 'text/plain', 'application/xml']),
        };
      if (r < 0.35) return { text: JSON.stringify({ account: 'y'.repeat(4000) }), type: 'application/json' };
      return {
        text: JSON.stringify(value(0)),
        type: pick(['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON']),
      };
    };
    const ids = ['x', '0', '%2F', '..', 'a'.repeat(200), encodeURIComponent('💥'), '%25', 'run-1'];
    const routes = (): [string, string] =>
      pick<[string, string]>([
        ['POST', '/tasks/dispatch'],
        ['GET', '/cluster/nodes'],
        ['GET', '/cluster/leader'],
        ['GET', '/config/modules'],
        ['GET', `/config/modules/${pick(['shop', 'broken', ...ids])}`],
        ['PATCH', `/config/modules/${pick(['shop', 'broken', ...ids])}`],
        ['GET', '/debug/status'],
        ['GET', '/debug/status/stages'],
        ['GET', `/debug/status/runs/${pick(ids)}`],
        [
          'GET',
          `/dlq/messages?${pick(['', 'limit=abc', 'limit=-5', 'offset=1e400', 'route=request', 'route=x&route=y', 'limit=5&offset=3', 'module=%00', 'reason=' + 'r'.repeat(600)])}`,
        ],
        ['POST', `/dlq/messages/${pick(ids)}/requeue`],
        ['DELETE', `/dlq/messages/${pick(ids)}`],
        ['POST', '/control/pause'],
        ['POST', '/control/resume'],
      ]);
    const auth = (): Record<string, string> => {
      switch (Math.floor(rnd() * 6)) {
        case 0:
          return {};
        case 1:
          return { authorization: `Bearer ${KEY}` };
        case 2:
          return { 'x-api-key': KEY };
        case 3:
          return {
            authorization: pick([
              'Bearer',
              'Bearer ',
              `bearer ${KEY}`,
              `Basic ${KEY}`,
              `Bearer ${KEY} extra`,
            ]),
          };
        case 4:
          return { 'x-api-key': pick(['', 'wrong', KEY + KEY, '💥'.replace(/[^\x20-\x7e]/g, '?')]) };
        default:
          return { authorization: `Bearer ${KEY}`, 'x-api-key': 'wrong' };
      }
    };

    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < 1000) {
        next++;
        const [method, path] = routes();
        const b = method === 'GET' ? {} : method === 'DELETE' && rnd() < 0.9 ? {} : body();
        const headers: Record<string, string> = { ...auth() };
        if (b.type) headers['content-type'] = b.type;
        const res = await fetch(ctl.url + path, { method, headers, body: b.text });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500)
          failures.push(`${res.status} ${method} ${path} ${b.type ?? ''} ${(b.text ?? '').slice(0, 80)}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    await fetch(`${ctl.url}/control/resume`, { method: 'POST', headers: { 'x-api-key': KEY } });

    expect(failures).toEqual([]);
    // The fuzzer reached the handlers and the validation, not only the guard.
    for (const status of [200, 400, 401, 404])
      expect(statuses.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
    expect((await fetch(`${ctl.url}/health`)).status).toBe(200);
  });
});

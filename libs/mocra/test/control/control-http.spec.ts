import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RaftStatus } from '../../src/control/index.js';
import { CrawlEngine } from '../../src/engine/crawl.engine.js';
import { MocraMetrics, statusClassOf } from '../../src/metrics/index.js';
import { bootControlApp, startSite, type ControlApp, type TestSite } from './control-fixtures.js';

const KEY = 'test-key-0123456789';

interface Answer {
  status: number;
  body: unknown;
  text: string;
}

interface CallOptions {
  method?: string;
  key?: string | null;
  header?: 'bearer' | 'x-api-key';
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

async function call(base: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? KEY : options.key;
  if (key !== null) {
    if (options.header === 'x-api-key') headers['x-api-key'] = key;
    else headers['authorization'] = `Bearer ${key}`;
  }
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(base + path, { method: options.method ?? 'GET', headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // metrics text, empty 204 bodies
  }
  return { status: res.status, body: parsed, text };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface RunStatus {
  state: 'active' | 'finished';
  run: { runId: string; items: number; requests: number; pages: number; deadLettered: number };
}

async function finishedRun(base: string, runId: string): Promise<RunStatus['run']> {
  const status = await waitFor(`run ${runId} to finish`, async () => {
    const a = await call(base, `/debug/status/runs/${runId}`);
    return a.status === 200 && (a.body as RunStatus).state === 'finished' ? (a.body as RunStatus) : undefined;
  });
  return status.run;
}

/** The value of one series in Prometheus text, or undefined when the series is absent. */
function sample(metrics: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return undefined;
}

function messages(body: unknown): string {
  const m = (body as { message?: unknown }).message;
  return Array.isArray(m) ? m.join(' | ') : String(m);
}

/** Whether the engine reports its events to MocraMetrics (the lead's wiring step): enables the count checks. */
const engineReportsMetrics = (
  (Reflect.getMetadata('design:paramtypes', CrawlEngine) as unknown[] | undefined) ?? []
).includes(MocraMetrics);

describe('HTTP control plane on a real Fastify server', () => {
  let site: TestSite;
  let ctl: ControlApp;

  beforeAll(async () => {
    site = await startSite(12);
    ctl = await bootControlApp({ site, apiKey: KEY, bodyLimit: 4096 });
  });
  afterAll(async () => {
    await ctl?.close();
    await site?.close();
  });

  it('GET /health answers 200 with the queue and cache components and no raft without [raft]', async () => {
    const a = await call(ctl.url, '/health', { key: null });
    expect(a.status).toBe(200);
    const body = a.body as { status: string; details: Record<string, Record<string, unknown>> };
    expect(body.status).toBe('ok');
    expect(body.details['queue']).toMatchObject({ status: 'up', backend: 'local', paused: false });
    expect(typeof body.details['queue']!['depth']).toBe('number');
    expect(body.details['cache']).toMatchObject({ status: 'up', backend: 'local' });
    expect(body.details['raft']).toBeUndefined();
  });

  it('GET /health turns 503 naming the failing component, then recovers', async () => {
    ctl.queue.failure = 'broker unreachable';
    try {
      const down = await call(ctl.url, '/health', { key: null });
      expect(down.status).toBe(503);
      const body = down.body as {
        status: string;
        error: Record<string, { status: string; message: string }>;
      };
      expect(body.status).toBe('error');
      expect(Object.keys(body.error)).toEqual(['queue']);
      expect(body.error['queue']!.message).toContain('broker unreachable');
    } finally {
      ctl.queue.failure = undefined;
    }
    expect((await call(ctl.url, '/health', { key: null })).status).toBe(200);
  });

  it('authenticates with Bearer and x-api-key; a missing or wrong key is 401', async () => {
    expect((await call(ctl.url, '/cluster/leader')).status).toBe(200);
    expect((await call(ctl.url, '/cluster/leader', { header: 'x-api-key' })).status).toBe(200);
    expect((await call(ctl.url, '/cluster/leader', { key: null })).status).toBe(401);
    expect((await call(ctl.url, '/cluster/leader', { key: KEY + 'x' })).status).toBe(401);
    expect((await call(ctl.url, '/cluster/leader', { key: 'short' })).status).toBe(401);
    expect(
      (await call(ctl.url, '/cluster/leader', { key: KEY, header: 'x-api-key', headers: {} })).status,
    ).toBe(200);
    const wrongScheme = await call(ctl.url, '/cluster/leader', {
      key: null,
      headers: { authorization: `Basic ${KEY}` },
    });
    expect(wrongScheme.status).toBe(401);
    // Public routes need no key.
    expect((await call(ctl.url, '/metrics', { key: null })).status).toBe(200);
    const docs = await call(ctl.url, '/docs-json', { key: null });
    expect(docs.status).toBe(200);
    expect(docs.body).toMatchObject({ openapi: '3.1.0', paths: { '/tasks/dispatch': {} } });
  });

  it('GET /cluster/nodes and /cluster/leader describe this single node truthfully', async () => {
    const nodes = await call(ctl.url, '/cluster/nodes');
    expect(nodes.status).toBe(200);
    const [node, ...others] = nodes.body as Array<Record<string, unknown>>;
    expect(others).toEqual([]);
    expect(node).toMatchObject({ id: 'node-test-1', apiPort: Number(new URL(ctl.url).port), self: true });
    expect(node!['version']).toMatch(/^\d+\.\d+\.\d+/);
    expect(node!['uptimeMs']).toBeGreaterThan(0);
    const leader = await call(ctl.url, '/cluster/leader');
    expect(leader.body).toEqual({
      mode: 'local',
      leaderId: 'node-test-1',
      leaderAddr: null,
      isLocalLeader: true,
    });
  });

  it('POST /tasks/dispatch answers 202 and the run completes with every item of the site', async () => {
    const before = ctl.store.items.length;
    const a = await call(ctl.url, '/tasks/dispatch', {
      method: 'POST',
      body: { module: ['shop'], runId: 'run-api-1' },
    });
    expect(a.status).toBe(202);
    expect(a.body).toEqual({ runId: 'run-api-1', modules: ['shop'] });
    const run = await finishedRun(ctl.url, 'run-api-1');
    expect(run.items).toBe(site.items);
    expect(ctl.store.items.length - before).toBe(site.items);
    const status = await call(ctl.url, '/debug/status');
    expect(status.status).toBe(200);
    const s = status.body as { stats: { items: number }; recentRuns: Array<{ runId: string }> };
    expect(s.stats.items).toBeGreaterThanOrEqual(site.items);
    expect(s.recentRuns.map((r) => r.runId)).toContain('run-api-1');
    expect((await call(ctl.url, '/debug/status/runs/no-such-run')).status).toBe(404);
  });

  it('rejects malformed dispatch bodies with 400 naming the field, and unknown modules naming the module', async () => {
    const cases: Array<[unknown, string]> = [
      [{ priority: 'urgent' }, 'priority'],
      [{ module: 'shop' }, 'module'],
      [{ module: [1] }, 'module'],
      [{ account: 7 }, 'account'],
      [{ runId: 'has space' }, 'runId'],
      [{ colour: 'red' }, 'colour'],
      [[1, 2], 'JSON object'],
    ];
    for (const [body, field] of cases) {
      const a = await call(ctl.url, '/tasks/dispatch', { method: 'POST', body });
      expect(a.status, JSON.stringify(body)).toBe(400);
      expect(messages(a.body)).toContain(field);
    }
    const broken = await call(ctl.url, '/tasks/dispatch', { method: 'POST', rawBody: '{"module": [' });
    expect(broken.status).toBe(400);
    const unknown = await call(ctl.url, '/tasks/dispatch', {
      method: 'POST',
      body: { module: ['shop', 'nope'] },
    });
    expect(unknown.status).toBe(400);
    expect(messages(unknown.body)).toContain('"nope"');
  });

  it('answers 413 for a body over [api] body_limit', async () => {
    const big = { account: 'a'.repeat(5000) };
    const a = await call(ctl.url, '/tasks/dispatch', { method: 'POST', body: big });
    expect(a.status).toBe(413);
    const small = await call(ctl.url, '/tasks/dispatch', {
      method: 'POST',
      body: { account: 'a'.repeat(201) },
    });
    expect(small.status).toBe(400);
  });

  it('PATCH /config/modules/:name changes the running settings; GET shows them', async () => {
    const list = await call(ctl.url, '/config/modules');
    expect(list.status).toBe(200);
    expect((list.body as Array<{ name: string }>).map((m) => m.name).sort()).toEqual(['broken', 'shop']);
    const patched = await call(ctl.url, '/config/modules/shop', {
      method: 'PATCH',
      body: { concurrency: 3, rate_limit: 250, priority: 'high' },
    });
    expect(patched.status).toBe(200);
    const got = await call(ctl.url, '/config/modules/shop');
    expect((got.body as { settings: Record<string, unknown> }).settings).toMatchObject({
      concurrency: 3,
      rateLimit: 250,
      priority: 'high',
    });
    const bad = await call(ctl.url, '/config/modules/shop', { method: 'PATCH', body: { concurrency: 0 } });
    expect(bad.status).toBe(400);
    expect(messages(bad.body)).toContain('concurrency');
    const cron = await call(ctl.url, '/config/modules/shop', {
      method: 'PATCH',
      body: { cron: 'not a cron' },
    });
    expect(cron.status).toBe(400);
    expect(messages(cron.body)).toContain('cron');
    expect((await call(ctl.url, '/config/modules/shop', { method: 'PATCH', body: {} })).status).toBe(400);
    expect(
      (await call(ctl.url, '/config/modules/nope', { method: 'PATCH', body: { enabled: true } })).status,
    ).toBe(404);
    expect((await call(ctl.url, '/config/modules/nope')).status).toBe(404);
    const unchanged = await call(ctl.url, '/config/modules/shop');
    expect((unchanged.body as { settings: Record<string, unknown> }).settings['concurrency']).toBe(3);
  });

  it('a rate_limit changed during a crawl takes effect on the running crawl', async () => {
    const slow = await call(ctl.url, '/config/modules/shop', {
      method: 'PATCH',
      body: { rate_limit: 1, concurrency: 1 },
    });
    expect(slow.status).toBe(200);
    const itemHits = () =>
      [...site.hits].filter(([path]) => path.startsWith('/item/')).reduce((a, [, n]) => a + n, 0);
    const before = itemHits();
    await call(ctl.url, '/tasks/dispatch', { method: 'POST', body: { module: ['shop'], runId: 'run-rate' } });
    // At 1 request per second the 12 items would take 12 s; the crawl is seen running slowly first.
    await waitFor('the first item request', async () => (itemHits() > before ? true : undefined));
    expect(itemHits() - before).toBeLessThan(site.items);
    const fast = await call(ctl.url, '/config/modules/shop', {
      method: 'PATCH',
      body: { rate_limit: 0, concurrency: 8 },
    });
    expect(fast.status).toBe(200);
    // At the old 1 req/s three more item requests would take 3 s; the site must see them within 2 s.
    const atPatch = itemHits();
    await waitFor(
      'three more item requests within 2 s of the change',
      async () => (itemHits() - atPatch >= Math.min(3, site.items - (atPatch - before)) ? true : undefined),
      2000,
    );
    await waitFor('the rest of the items', async () =>
      itemHits() - before === site.items ? true : undefined,
    );
    expect((await finishedRun(ctl.url, 'run-rate')).items).toBe(site.items);
  });

  it('POST /control/pause holds a dispatched run; /control/resume lets it finish', async () => {
    const paused = await call(ctl.url, '/control/pause', { method: 'POST' });
    expect(paused.status).toBe(200);
    expect(paused.body).toEqual({ paused: true });
    try {
      const health = await call(ctl.url, '/health', { key: null });
      expect((health.body as { details: { queue: { paused: boolean } } }).details.queue.paused).toBe(true);
      expect(sample((await call(ctl.url, '/metrics', { key: null })).text, 'mocra_paused')).toBe(1);
      const hitsBefore = site.total();
      const a = await call(ctl.url, '/tasks/dispatch', {
        method: 'POST',
        body: { module: ['shop'], runId: 'run-paused' },
      });
      expect(a.status).toBe(202);
      await new Promise((r) => setTimeout(r, 300));
      expect(site.total()).toBe(hitsBefore);
      const run = await call(ctl.url, '/debug/status/runs/run-paused');
      expect((run.body as RunStatus).state).toBe('active');
    } finally {
      const resumed = await call(ctl.url, '/control/resume', { method: 'POST' });
      expect(resumed.body).toEqual({ paused: false });
    }
    const run = await finishedRun(ctl.url, 'run-paused');
    expect(run.items).toBe(site.items);
  });

  it('lists, filters, pages, requeues and deletes real dead letters', async () => {
    for (const runId of ['run-dlq-1', 'run-dlq-2']) {
      const a = await call(ctl.url, '/tasks/dispatch', {
        method: 'POST',
        body: { module: ['broken'], runId },
      });
      expect(a.status).toBe(202);
      expect((await finishedRun(ctl.url, runId)).deadLettered).toBe(1);
    }
    const list = await call(ctl.url, '/dlq/messages?route=request&module=broken&reason=HTTP%20500');
    expect(list.status).toBe(200);
    const page = list.body as {
      items: Array<{ id: string; reason: string; sourceRoute: string }>;
      total: number;
    };
    expect(page.total).toBe(2);
    expect(page.items[0]!.reason).toContain('/broken');
    expect(page.items[0]!.sourceRoute).toBe('request');
    expect(((await call(ctl.url, '/dlq/messages?module=shop')).body as { total: number }).total).toBe(0);
    const clamped = await call(ctl.url, '/dlq/messages?limit=0');
    expect(clamped.body).toMatchObject({ limit: 1, total: 2 });
    expect((clamped.body as { items: unknown[] }).items).toHaveLength(1);
    expect((await call(ctl.url, '/dlq/messages?limit=100000')).body).toMatchObject({ limit: 500 });
    const badQuery = await call(ctl.url, '/dlq/messages?route=nowhere&offset=-1');
    expect(badQuery.status).toBe(400);
    expect(messages(badQuery.body)).toContain('route');
    expect(messages(badQuery.body)).toContain('offset');

    const metrics = (await call(ctl.url, '/metrics', { key: null })).text;
    expect(sample(metrics, 'mocra_dlq_size')).toBe(page.total);

    const [first, second] = page.items;
    expect((await call(ctl.url, `/dlq/messages/${first!.id}/requeue`, { method: 'POST' })).status).toBe(202);
    expect((await call(ctl.url, `/dlq/messages/${first!.id}/requeue`, { method: 'POST' })).status).toBe(404);
    expect((await call(ctl.url, `/dlq/messages/${second!.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(ctl.url, `/dlq/messages/${second!.id}`, { method: 'DELETE' })).status).toBe(404);
    const remaining = (await call(ctl.url, '/dlq/messages?module=broken')).body as {
      items: Array<{ id: string }>;
    };
    expect(remaining.items.map((i) => i.id)).not.toContain(first!.id);
    expect(remaining.items.map((i) => i.id)).not.toContain(second!.id);
  });

  it('GET /metrics exposes the mocra_ gauges, process metrics and the values MocraMetrics records', async () => {
    const metrics = ctl.app.get(MocraMetrics, { strict: false });
    metrics.requestStarted('probe');
    metrics.responseReceived('probe', statusClassOf(503), 120, 2048);
    metrics.itemStored('probe', 'memory');
    metrics.itemStored('probe', 'memory');
    metrics.deadLettered('probe', 'request');
    const text = (await call(ctl.url, '/metrics', { key: null })).text;
    const probe = { node_id: 'node-test-1', module: 'probe' };
    expect(sample(text, 'mocra_requests_total', probe)).toBe(1);
    expect(sample(text, 'mocra_responses_total', { ...probe, status_class: '5xx' })).toBe(1);
    expect(sample(text, 'mocra_response_bytes_total', probe)).toBe(2048);
    expect(sample(text, 'mocra_download_duration_seconds_bucket', { ...probe, le: '0.25' })).toBe(1);
    expect(sample(text, 'mocra_download_duration_seconds_bucket', { ...probe, le: '0.1' })).toBe(0);
    expect(sample(text, 'mocra_items_stored_total', { ...probe, store: 'memory' })).toBe(2);
    expect(sample(text, 'mocra_dead_lettered_total', { ...probe, route: 'request' })).toBe(1);
    expect(sample(text, 'mocra_queue_depth', { route: 'request', priority: 'normal' })).toBe(0);
    expect(sample(text, 'mocra_active_runs')).toBe(0);
    expect(sample(text, 'mocra_paused')).toBe(0);
    expect(text).toContain('mocra_process_cpu_user_seconds_total');
  });

  it.runIf(engineReportsMetrics)(
    'counts of a crawl in /metrics equal the site requests and stored items',
    async () => {
      const text0 = (await call(ctl.url, '/metrics', { key: null })).text;
      const shop = { module: 'shop' };
      const requests0 = sample(text0, 'mocra_requests_total', shop) ?? 0;
      const items0 = sample(text0, 'mocra_items_stored_total', shop) ?? 0;
      const runs0 = sample(text0, 'mocra_runs_finished_total', shop) ?? 0;
      const hits0 = site.total();
      await call(ctl.url, '/tasks/dispatch', {
        method: 'POST',
        body: { module: ['shop'], runId: 'run-metrics' },
      });
      await finishedRun(ctl.url, 'run-metrics');
      const text = (await call(ctl.url, '/metrics', { key: null })).text;
      expect((sample(text, 'mocra_requests_total', shop) ?? 0) - requests0).toBe(site.total() - hits0);
      expect((sample(text, 'mocra_items_stored_total', shop) ?? 0) - items0).toBe(site.items);
      expect((sample(text, 'mocra_runs_finished_total', shop) ?? 0) - runs0).toBe(1);
    },
  );
});

describe('control plane without [api] api_key', () => {
  let site: TestSite;
  let ctl: ControlApp;

  beforeAll(async () => {
    site = await startSite(2);
    ctl = await bootControlApp({ site });
  });
  afterAll(async () => {
    await ctl?.close();
    await site?.close();
  });

  it('locks every protected route with 403, key or not, and keeps /health and /metrics public', async () => {
    const routes: Array<[string, string]> = [
      ['POST', '/tasks/dispatch'],
      ['GET', '/cluster/nodes'],
      ['GET', '/cluster/leader'],
      ['GET', '/config/modules'],
      ['GET', '/config/modules/shop'],
      ['PATCH', '/config/modules/shop'],
      ['GET', '/debug/status'],
      ['GET', '/debug/status/stages'],
      ['GET', '/debug/status/runs/x'],
      ['GET', '/dlq/messages'],
      ['POST', '/dlq/messages/x/requeue'],
      ['DELETE', '/dlq/messages/x'],
      ['POST', '/control/pause'],
      ['POST', '/control/resume'],
    ];
    for (const [method, path] of routes) {
      expect((await call(ctl.url, path, { method })).status, `${method} ${path}`).toBe(403);
      expect((await call(ctl.url, path, { method, key: null })).status, `${method} ${path}`).toBe(403);
    }
    expect((await call(ctl.url, '/health', { key: null })).status).toBe(200);
    const metrics = await call(ctl.url, '/metrics', { key: null });
    expect(metrics.status).toBe(200);
    // This app's own metrics, not the previous app's: its DLQ is empty and its node id is the same but fresh.
    expect(sample(metrics.text, 'mocra_dlq_size')).toBe(0);
    expect(sample(metrics.text, 'mocra_requests_total', { module: 'probe' })).toBeUndefined();
  });
});

describe('control plane with [raft] configured', () => {
  let site: TestSite;
  let ctl: ControlApp;
  const status: RaftStatus = {
    nodeId: 'n1',
    addr: '127.0.0.1:7001',
    leaderId: 'n2',
    leaderAddr: '127.0.0.1:7002',
    term: 7,
    commitIndex: 42,
    peers: [
      { id: 'n2', addr: '127.0.0.1:7002', healthy: true },
      { id: 'n3', addr: '127.0.0.1:7003', healthy: false },
    ],
  };

  beforeAll(async () => {
    site = await startSite(1);
    ctl = await bootControlApp({ site, apiKey: KEY, raft: { raftStatus: () => status } });
  });
  afterAll(async () => {
    await ctl?.close();
    await site?.close();
  });

  it('checks raft in /health, answers /cluster/leader from Raft and exports the raft gauges', async () => {
    const up = await call(ctl.url, '/health', { key: null });
    expect(up.status).toBe(200);
    expect((up.body as { details: Record<string, unknown> }).details['raft']).toMatchObject({
      status: 'up',
      leaderId: 'n2',
      term: 7,
      healthyPeers: 1,
      peers: 2,
    });
    expect((await call(ctl.url, '/cluster/leader')).body).toMatchObject({
      mode: 'raft',
      leaderId: 'n2',
      leaderAddr: '127.0.0.1:7002',
      isLocalLeader: false,
      term: 7,
    });
    const text = (await call(ctl.url, '/metrics', { key: null })).text;
    expect(sample(text, 'mocra_raft_term', { node_id: 'n1' })).toBe(7);
    expect(sample(text, 'mocra_raft_commit_index')).toBe(42);
    expect(sample(text, 'mocra_raft_is_leader')).toBe(0);
    expect(sample(text, 'mocra_raft_peer_up', { peer: 'n3' })).toBe(0);
    expect(sample(text, 'mocra_raft_peer_up', { peer: 'n2' })).toBe(1);

    status.leaderId = undefined;
    try {
      const down = await call(ctl.url, '/health', { key: null });
      expect(down.status).toBe(503);
      expect(Object.keys((down.body as { error: Record<string, unknown> }).error)).toEqual(['raft']);
      expect((await call(ctl.url, '/cluster/leader')).status).toBe(503);
    } finally {
      status.leaderId = 'n2';
    }
    expect((await call(ctl.url, '/health', { key: null })).status).toBe(200);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterEach, describe, expect, it } from 'vitest';
import { DURABLE_SUBLEVELS } from '../../src/queue/durable/durable-layout.js';
import { LevelDeadLetterStore } from '../../src/queue/dlq/level-dead-letter.store.js';
import type { DeadLetterEnvelope, Route } from '../../src/queue/index.js';
import { deadLetterEnvelope, taskEnvelope } from '../queue/envelope.fixtures.js';

const dirs: string[] = [];
const stores: LevelDeadLetterStore[] = [];

async function openStore(path?: string, errors?: string[]): Promise<LevelDeadLetterStore> {
  let dir = path;
  if (dir === undefined) {
    dir = await mkdtemp(join(tmpdir(), 'mocra-dlq-'));
    dirs.push(dir);
  }
  const store = await LevelDeadLetterStore.open(dir, {
    onError: (err, context) => errors?.push(`${context}: ${(err as Error).message}`),
  });
  stores.push(store);
  return store;
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close().catch(() => {})));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function dl(id: string, failedAtMs: number, over: Partial<DeadLetterEnvelope> = {}): DeadLetterEnvelope {
  return { ...deadLetterEnvelope(), id, failedAtMs, ...over };
}

const ids = (items: DeadLetterEnvelope[]): string[] => items.map((d) => d.id);

describe('LevelDeadLetterStore', () => {
  it('adds, gets, counts and removes', async () => {
    const store = await openStore();
    const record = dl('a', 100);
    await store.add(record);
    expect(await store.get('a')).toEqual(record);
    expect(await store.get('missing')).toBeUndefined();
    expect(await store.count()).toBe(1);
    expect(await store.remove('a')).toBe(true);
    expect(await store.remove('a')).toBe(false);
    expect(await store.get('a')).toBeUndefined();
    expect(await store.count()).toBe(0);
  });

  it('lists newest first by failure time, arrival order breaking ties, with offset and limit', async () => {
    const store = await openStore();
    await store.add(dl('old', 100));
    await store.add(dl('new', 300));
    await store.add(dl('mid1', 200));
    await store.add(dl('mid2', 200));
    expect(ids((await store.list()).items)).toEqual(['new', 'mid2', 'mid1', 'old']);
    const page = await store.list({ offset: 1, limit: 2 });
    expect(ids(page.items)).toEqual(['mid2', 'mid1']);
    expect(page.total).toBe(4);
    expect((await store.list({ offset: 10 })).items).toEqual([]);
    expect((await store.list({ limit: 0 })).total).toBe(4);
    await expect(store.list({ limit: -1 })).rejects.toThrow(RangeError);
  });

  it('replaces a record with the same id and moves it to the newest position', async () => {
    const store = await openStore();
    await store.add(dl('x', 100, { reason: 'first' }));
    await store.add(dl('y', 100));
    await store.add(dl('x', 100, { reason: 'second' }));
    expect(await store.count()).toBe(2);
    const { items } = await store.list();
    expect(ids(items)).toEqual(['x', 'y']);
    expect(items[0]?.reason).toBe('second');
  });

  it('filters by route, module and reason substring, and purges what a filter matches', async () => {
    const store = await openStore();
    const payload = taskEnvelope();
    const route = (r: Route, module: string, reason: string, id: string, at: number) =>
      store.add(dl(id, at, { sourceRoute: r, module, reason, payload }));
    await route('response', 'shop', 'parser exploded', 'r1', 1);
    await route('request', 'shop', 'timeout after 5s', 'q1', 2);
    await route('response', 'news', 'parser exploded again', 'r2', 3);
    await route('request', 'news', 'HTTP 503', 'q2', 4);
    expect(ids((await store.list({ route: 'response' })).items)).toEqual(['r2', 'r1']);
    expect(ids((await store.list({ module: 'news' })).items)).toEqual(['q2', 'r2']);
    expect(ids((await store.list({ reason: 'exploded' })).items)).toEqual(['r2', 'r1']);
    const page = await store.list({ route: 'request', module: 'shop' });
    expect([ids(page.items), page.total]).toEqual([['q1'], 1]);
    expect((await store.list({ reason: 'exploded', limit: 1 })).total).toBe(2);

    expect(await store.purge({ reason: 'exploded' })).toBe(2);
    expect(ids((await store.list()).items)).toEqual(['q2', 'q1']);
    expect(await store.purge()).toBe(2);
    expect(await store.count()).toBe(0);
    expect((await store.list()).items).toEqual([]);
  });

  it('keeps records, order and count across a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mocra-dlq-'));
    dirs.push(dir);
    const first = await openStore(dir);
    await first.add(dl('a', 10));
    await first.add(dl('b', 20));
    await first.add(dl('c', 20));
    await first.remove('a');
    await first.close();
    const second = await openStore(dir);
    expect(await second.count()).toBe(2);
    expect(ids((await second.list()).items)).toEqual(['c', 'b']);
    // Arrival order continues after the restart: a new record at the same time is newer.
    await second.add(dl('d', 20));
    expect(ids((await second.list()).items)).toEqual(['d', 'c', 'b']);
    expect(await second.get('b')).toEqual(dl('b', 20));
  });

  it('skips and reports a corrupt record when listing, and keeps serving the others', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mocra-dlq-'));
    dirs.push(dir);
    const first = await openStore(dir);
    await first.add(dl('good', 10));
    await first.add(dl('bad', 20));
    await first.close();
    const raw = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    const records = raw.sublevel<Buffer, Buffer>(DURABLE_SUBLEVELS.dlq, {
      keyEncoding: 'buffer',
      valueEncoding: 'buffer',
    });
    for await (const key of records.keys()) {
      if (key.toString('utf8').endsWith('bad')) await records.put(key, Buffer.from([0xc1, 0x00]));
    }
    await raw.close();
    const errors: string[] = [];
    const second = await openStore(dir, errors);
    expect(ids((await second.list()).items)).toEqual(['good']);
    expect(errors.join('\n')).toMatch(/dead letter 'bad' skipped: dead letter 'bad' is unreadable/);
    await expect(second.get('bad')).rejects.toThrow(/dead letter 'bad' is unreadable/);
    expect(await second.remove('bad')).toBe(true);
    expect(await second.count()).toBe(1);
  });

  it('rejects a dead letter it cannot encode and stores nothing', async () => {
    const store = await openStore();
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const payload = taskEnvelope();
    const bad = dl('cyc', 1, { payload: { ...payload, event: cyclic } });
    await expect(store.add(bad)).rejects.toThrow(/cannot encode/);
    expect(await store.count()).toBe(0);
  });
});

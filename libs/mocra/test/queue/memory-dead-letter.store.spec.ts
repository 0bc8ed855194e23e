import { describe, expect, it } from 'vitest';
import { MemoryDeadLetterStore, type DeadLetterEnvelope, type Route } from '../../src/queue/index.js';
import { taskEnvelope } from './envelope.fixtures.js';

function dl(
  id: string,
  sourceRoute: Route,
  module: string,
  reason: string,
  failedAtMs: number,
): DeadLetterEnvelope {
  return {
    kind: 'dead_letter',
    id,
    namespace: 'ns1',
    sourceRoute,
    sourcePriority: 'normal',
    reason,
    errorKind: 'Download',
    attempt: 1,
    failedAtMs,
    module,
    payload: taskEnvelope(),
  };
}

async function seeded(): Promise<MemoryDeadLetterStore> {
  const store = new MemoryDeadLetterStore();
  await store.add(dl('a', 'request', 'shop', 'HTTP 503 from upstream', 100));
  await store.add(dl('b', 'response', 'news', 'selector not found', 200));
  await store.add(dl('c', 'request', 'news', 'HTTP 404', 300));
  await store.add(dl('d', 'request', 'shop', 'timeout after 30s', 300));
  return store;
}

const ids = (items: DeadLetterEnvelope[]): string[] => items.map((d) => d.id);

describe('MemoryDeadLetterStore', () => {
  it('lists newest first, arrival order breaking ties', async () => {
    const store = await seeded();
    const page = await store.list();
    expect(ids(page.items)).toEqual(['d', 'c', 'b', 'a']);
    expect(page.total).toBe(4);
  });

  it('filters by route, module and reason substring, counting matches before paging', async () => {
    const store = await seeded();
    expect(ids((await store.list({ route: 'request' })).items)).toEqual(['d', 'c', 'a']);
    expect(ids((await store.list({ module: 'news' })).items)).toEqual(['c', 'b']);
    expect(ids((await store.list({ reason: 'HTTP' })).items)).toEqual(['c', 'a']);
    expect(ids((await store.list({ route: 'request', module: 'shop', reason: 'time' })).items)).toEqual([
      'd',
    ]);
    const page = await store.list({ route: 'request', offset: 1, limit: 1 });
    expect(ids(page.items)).toEqual(['c']);
    expect(page.total).toBe(3);
    expect((await store.list({ offset: 10 })).items).toEqual([]);
  });

  it('rejects a negative or fractional offset or limit', async () => {
    const store = await seeded();
    await expect(store.list({ offset: -1 })).rejects.toThrow(/offset/);
    await expect(store.list({ limit: 1.5 })).rejects.toThrow(/limit/);
  });

  it('gets, removes and counts', async () => {
    const store = await seeded();
    expect((await store.get('b'))?.reason).toBe('selector not found');
    expect(await store.get('zzz')).toBeUndefined();
    expect(await store.remove('b')).toBe(true);
    expect(await store.remove('b')).toBe(false);
    expect(await store.count()).toBe(3);
  });

  it('replaces a record added again with the same id', async () => {
    const store = await seeded();
    await store.add(dl('a', 'task', 'shop', 'second failure', 400));
    expect(await store.count()).toBe(4);
    expect((await store.list()).items[0]).toMatchObject({ id: 'a', reason: 'second failure' });
  });

  it('purges matches only, or everything without a filter', async () => {
    const store = await seeded();
    expect(await store.purge({ module: 'shop' })).toBe(2);
    expect(ids((await store.list()).items)).toEqual(['c', 'b']);
    expect(await store.purge()).toBe(2);
    expect(await store.count()).toBe(0);
  });
});

import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonlStore, type DataItem } from '@mocra/core';

function item(requestId: string, itemIndex: number, data: unknown): DataItem {
  return {
    data,
    module: 'm',
    nodeKey: 'n',
    runId: 'r',
    account: 'default',
    platform: 'default',
    requestId,
    itemIndex,
    url: `http://site/${requestId}`,
    emittedAtMs: 1,
  };
}

function lines(path: string): Array<{ requestId: string; itemIndex: number; data: unknown }> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { requestId: string; itemIndex: number; data: unknown });
}

describe('JsonlStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mocra-jsonl-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one line per item and skips items already in the file, across instances', async () => {
    const path = join(dir, 'a', 'items.jsonl');
    const first = new JsonlStore({ path });
    await first.store(item('r1', 0, { a: 1 }));
    await first.store(item('r1', 1, { a: 2 }));
    await first.store(item('r1', 1, { a: 2 }));
    await first.close();
    expect(first.duplicatesSkipped).toBe(1);

    const second = new JsonlStore({ path });
    await second.store(item('r1', 0, { a: 1 }));
    await second.store(item('r2', 0, { b: 1 }));
    await second.close();
    expect(second.duplicatesSkipped).toBe(1);
    expect(lines(path).map((l) => `${l.requestId}#${l.itemIndex}`)).toEqual(['r1#0', 'r1#1', 'r2#0']);
  });

  it('rejects an item JSON cannot encode, and writes it when it is tried again with data it can', async () => {
    const path = join(dir, 'c', 'items.jsonl');
    const store = new JsonlStore({ path });
    await store.store(item('r0', 0, { ok: true }));
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    let thrown: unknown;
    let result: Promise<void> | undefined;
    try {
      result = store.store(item('r1', 0, cyclic));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeUndefined();
    await expect(result).rejects.toThrow(/circular/i);
    await expect(store.store(item('r2', 0, 10n))).rejects.toThrow(/BigInt/i);
    // Tried again once it can be encoded, the item is written, not skipped as a duplicate.
    await store.store(item('r1', 0, { ok: 'again' }));
    await store.close();
    expect(store.count).toBe(2);
    expect(store.duplicatesSkipped).toBe(0);
    expect(lines(path).map((l) => l.requestId)).toEqual(['r0', 'r1']);
  });

  it('recovers from a torn last line left by a killed process', async () => {
    const path = join(dir, 'torn.jsonl');
    const store = new JsonlStore({ path });
    await store.store(item('r1', 0, 'x'));
    await store.close();
    appendFileSync(path, '{"requestId":"r2","itemInd');
    const again = new JsonlStore({ path });
    await again.store(item('r2', 0, 'y'));
    await again.close();
    const text = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    expect(text).toHaveLength(3);
    expect(JSON.parse(text[2]!)).toMatchObject({ requestId: 'r2', itemIndex: 0, data: 'y' });
  });

  it('truncates when asked', async () => {
    const path = join(dir, 't.jsonl');
    const a = new JsonlStore({ path });
    await a.store(item('r1', 0, 1));
    await a.close();
    const b = new JsonlStore({ path, truncate: true });
    await b.store(item('r1', 0, 1));
    await b.close();
    expect(lines(path)).toHaveLength(1);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { DurableFixture, tagged } from './support/durable.fixtures.js';

const fx = new DurableFixture();
afterEach(() => fx.cleanup());

const fp = (n: number): Uint8Array => {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setUint32(4, n);
  return bytes;
};

describe('DurableStateStore', () => {
  it('puts, gets and deletes msgpack values, readable right after a write is issued', async () => {
    const q = await fx.open();
    const value = { runId: 'r1', pages: 12, done: false, tags: ['a'], raw: Uint8Array.from([1, 2]) };
    void q.state.put('run:r1', value);
    expect(await q.state.get('run:r1')).toEqual(value);
    expect(await q.state.get('run:none')).toBeUndefined();
    await q.state.del('run:r1');
    expect(await q.state.get('run:r1')).toBeUndefined();
  });

  it('applies a batch as a whole, and writes nothing of a batch with an unencodable value', async () => {
    const q = await fx.open();
    await q.state.batch([
      { type: 'put', key: 'a', value: 1 },
      { type: 'put', key: 'b', value: 2 },
    ]);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    await expect(
      q.state.batch([
        { type: 'del', key: 'a' },
        { type: 'put', key: 'c', value: cyclic },
      ]),
    ).rejects.toThrow(/durable state 'c': value cannot be encoded/);
    expect([await q.state.get('a'), await q.state.get('b'), await q.state.get('c')]).toEqual([
      1,
      2,
      undefined,
    ]);
  });

  it('keeps values and set members across a restart, sets apart from each other', async () => {
    const path = await fx.dir();
    const first = await fx.open({ path });
    await first.state.put('cursor', { page: 7 });
    for (let i = 0; i < 500; i++) void first.state.appendToSet('seen:run-1', fp(i));
    void first.state.appendToSet('seen:run-1', fp(3));
    await first.state.appendToSet('seen:run-2', fp(9999));
    await first.close();

    const second = await fx.open({ path });
    expect(await second.state.get('cursor')).toEqual({ page: 7 });
    const members = await second.state.loadSet('seen:run-1');
    expect(members).toHaveLength(500);
    expect(members.every((m) => m.byteLength === 8)).toBe(true);
    expect(members.map((m) => new DataView(m.buffer, m.byteOffset, 8).getUint32(4))).toEqual(
      Array.from({ length: 500 }, (_, i) => i),
    );
    expect(await second.state.loadSet('seen:run-2')).toEqual([fp(9999)]);
    expect(await second.state.loadSet('seen:run')).toEqual([]);
    expect(await second.state.clearSet('seen:run-1')).toBe(500);
    expect(await second.state.loadSet('seen:run-1')).toEqual([]);
    expect(await second.state.loadSet('seen:run-2')).toHaveLength(1);
  });

  it('commits set members, state and queue writes of one turn in the same batch', async () => {
    const q = await fx.open();
    // Issued together, they share one batch promise: they commit (or fail) as one.
    const a = q.state.appendToSet('seen', fp(1));
    const b = q.publish('request', tagged('x'));
    const c = q.state.put('k', 1);
    expect(a).toBe(c);
    expect(b).toBe(a);
    await Promise.all([a, b, c]);
    const later = q.state.put('k', 2);
    expect(later).not.toBe(a);
    await later;
  });

  it('refuses an empty set name or one with NUL', async () => {
    const q = await fx.open();
    await expect(q.state.appendToSet('', fp(1))).rejects.toThrow(/set name/);
    await expect(q.state.loadSet('a\u0000b')).rejects.toThrow(/set name/);
  });
});

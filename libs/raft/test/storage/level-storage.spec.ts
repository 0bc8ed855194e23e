import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CompactedError,
  LevelStorage,
  SnapshotOutOfDateError,
  StorageCorruptionError,
  StorageIdentityError,
  UnavailableError,
  type ConfState,
  type Entry,
  type HardState,
} from '../../src/index.js';
import { entryKey, HARD_STATE_KEY } from '../../src/storage/storage-keys.js';

const cs: ConfState = {
  voters: ['n1', 'n2'],
  learners: ['n3'],
  votersOutgoing: [],
  learnersNext: [],
  autoLeave: false,
};
const ident = { nodeId: 'n1', clusterId: 'c1' };
const text = new TextEncoder();

function ent(index: number, term: number, type: Entry['type'] = 'normal'): Entry {
  return { index, term, type, data: text.encode(`e${index}t${term}`) };
}
function ents(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(ent(i, term));
  return out;
}
const hs = (term: number, commit: number, vote = 'n1'): HardState => ({ term, vote, commit });

let dir: string;
beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'level-storage-')), 'db');
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(join(dir, '..'), { recursive: true, force: true });
});

/** Opens the directory with plain classic-level, as a disk-level tamperer would. */
async function withRawDb(fn: (db: ClassicLevel<Uint8Array, Uint8Array>) => Promise<void>): Promise<void> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

async function reopen(storage: LevelStorage): Promise<LevelStorage> {
  await storage.close();
  return LevelStorage.open(dir, ident);
}

describe('LevelStorage', () => {
  it('starts empty and round-trips entries, hard state and conf state through close and reopen', async () => {
    let s = await LevelStorage.open(dir, ident);
    expect(s.initialState().hardState).toEqual(hs(0, 0, ''));
    expect([s.firstIndex(), s.lastIndex()]).toEqual([1, 0]);
    const written = [ent(1, 1, 'conf_change'), ...ents(2, 5, 1), ...ents(6, 7, 2)];
    await s.persist({ entries: written, hardState: hs(2, 6, 'n2') }, true);
    s = await reopen(s);
    expect(s.recovered).toBeUndefined();
    expect(s.initialState().hardState).toEqual(hs(2, 6, 'n2'));
    expect([s.firstIndex(), s.lastIndex(), s.term(7)]).toEqual([1, 7, 2]);
    expect(s.entries(1, 8)).toEqual(written);
    // the same read semantics as MemoryStorage
    expect(s.entries(2, 8, 1).map((e) => e.index)).toEqual([2]);
    expect(() => s.entries(2, 9)).toThrow(UnavailableError);
    expect(() => s.term(8)).toThrow(UnavailableError);
    expect(s.term(0)).toBe(0);
    await s.close();
  });

  it('writes one batch per persist, with sync as asked and fsync as configured', async () => {
    const spy = vi.spyOn(ClassicLevel.prototype, 'batch');
    const calls = (): Array<[Array<{ type: string }>, unknown]> => spy.mock.calls as never;
    const s = await LevelStorage.open(dir, ident);
    await s.persist({ entries: ents(1, 3, 1), hardState: hs(1, 0) }, true);
    await s.persist({ entries: [ent(2, 2)], hardState: hs(2, 1) }, false);
    expect(spy).toHaveBeenCalledTimes(2);
    expect(calls()[0]![1]).toEqual({ sync: true });
    // the conflicting tail (3) is deleted, entry 2 and the hard state are written: one batch
    const ops = calls()[1]![0];
    expect(ops.map((op) => op.type).sort()).toEqual(['del', 'put', 'put']);
    expect(calls()[1]![1]).toEqual({ sync: false });
    await s.close();
    const unsynced = await LevelStorage.open(dir, { ...ident, fsync: false });
    await unsynced.persist({ entries: [ent(3, 2)] }, true);
    expect(calls()[2]![1]).toEqual({ sync: false });
    await unsynced.close();
  });

  it('truncates a conflicting tail in the same write, and the truncation survives reopen', async () => {
    let s = await LevelStorage.open(dir, ident);
    await s.persist({ entries: ents(1, 6, 1), hardState: hs(1, 2) }, true);
    await s.persist({ entries: ents(4, 5, 2), hardState: hs(2, 3) }, true);
    expect([s.lastIndex(), s.term(4), s.term(3)]).toEqual([5, 2, 1]);
    s = await reopen(s);
    expect(s.lastIndex()).toBe(5);
    expect(s.entries(1, 6).map((e) => `${e.index}/${e.term}`)).toEqual(['1/1', '2/1', '3/1', '4/2', '5/2']);
    expect(s.initialState().hardState).toEqual(hs(2, 3));
    await s.close();
    await withRawDb(async (db) => expect(await db.get(entryKey(6))).toBeUndefined());
    expect((await LevelStorage.open(dir, ident)).recovered).toBeUndefined();
  });

  it('keeps call order when persists overlap (the next starts before the previous resolved)', async () => {
    let s = await LevelStorage.open(dir, ident);
    const writes: Array<Promise<void>> = [];
    for (let term = 1; term <= 30; term++) {
      // every persist rewrites the tail from index `term` on: any reordering leaves a wrong term behind
      writes.push(
        s.persist({ entries: ents(term, term + 5, term), hardState: hs(term, term - 1) }, term % 2 === 0),
      );
    }
    const resolved: number[] = [];
    await Promise.all(writes.map((w, i) => w.then(() => resolved.push(i))));
    expect(resolved).toEqual([...Array(30).keys()]);
    s = await reopen(s);
    expect(s.lastIndex()).toBe(35);
    expect(s.entries(1, 36).map((e) => e.term)).toEqual(
      [...Array(30).keys()].map((i) => i + 1).concat([30, 30, 30, 30, 30]),
    );
    expect(s.initialState().hardState).toEqual(hs(30, 29));
    await s.close();
  });

  it('records a snapshot and compacts in one write; both survive reopen', async () => {
    let s = await LevelStorage.open(dir, ident);
    await s.persist({ entries: ents(1, 6, 1).concat(ents(7, 8, 2)), hardState: hs(2, 8) }, true);
    const snap = await s.createSnapshot(7, cs, text.encode('state@7'), 5);
    expect(snap.metadata).toEqual({ index: 7, term: 2, confState: cs });
    expect([s.firstIndex(), s.lastIndex(), s.term(5)]).toEqual([6, 8, 1]);
    await expect(s.createSnapshot(6, cs, new Uint8Array(0), 6)).rejects.toThrow(SnapshotOutOfDateError);
    s = await reopen(s);
    expect([s.firstIndex(), s.lastIndex(), s.term(5), s.term(7)]).toEqual([6, 8, 1, 2]);
    expect(() => s.term(4)).toThrow(CompactedError);
    expect(() => s.entries(5, 7)).toThrow(CompactedError);
    expect(s.snapshot()).toEqual({
      metadata: { index: 7, term: 2, confState: cs },
      data: text.encode('state@7'),
    });
    expect(s.initialState().confState).toEqual(cs);
    // appending entries that are partly compacted keeps the new part only
    await s.persist({ entries: ents(4, 9, 2) }, true);
    expect([s.firstIndex(), s.lastIndex(), s.term(6)]).toEqual([6, 9, 2]);
    await s.close();
    await withRawDb(async (db) => {
      for (const index of [1, 5]) expect(await db.get(entryKey(index))).toBeUndefined();
      expect(await db.get(entryKey(6))).toBeDefined();
    });
  });

  it('applies a snapshot by replacing the whole log, and refuses an older one', async () => {
    let s = await LevelStorage.open(dir, ident);
    await s.persist({ entries: ents(1, 4, 1), hardState: hs(1, 2) }, true);
    const incoming = { metadata: { index: 10, term: 3, confState: cs }, data: text.encode('s10') };
    await s.persist({ snapshot: incoming, entries: ents(11, 12, 3), hardState: hs(3, 10) }, true);
    expect([s.firstIndex(), s.lastIndex(), s.term(10)]).toEqual([11, 12, 3]);
    s = await reopen(s);
    expect([s.firstIndex(), s.lastIndex(), s.term(10), s.term(12)]).toEqual([11, 12, 3, 3]);
    expect(s.snapshot()).toEqual(incoming);
    await expect(
      s.persist(
        { snapshot: { ...incoming, metadata: { ...incoming.metadata, index: 9 } }, entries: [] },
        true,
      ),
    ).rejects.toThrow(SnapshotOutOfDateError);
    await expect(s.persist({ entries: [ent(14, 3)] }, true)).rejects.toThrow(/missing log entry/);
    await s.close();
    await withRawDb(async (db) => {
      for (let index = 1; index <= 4; index++) expect(await db.get(entryKey(index))).toBeUndefined();
    });
  });

  it('cuts a torn uncommitted tail at open and keeps the committed prefix', async () => {
    const s = await LevelStorage.open(dir, ident);
    await s.persist({ entries: ents(1, 6, 1), hardState: hs(1, 3) }, true);
    await s.close();
    await withRawDb(async (db) => {
      const five = (await db.get(entryKey(5)))!;
      await db.put(entryKey(5), five.subarray(0, five.length - 4)); // torn: the record lost its last bytes
    });
    const warnings: string[] = [];
    const reopened = await LevelStorage.open(dir, { ...ident, logger: { warn: (m) => warnings.push(m) } });
    expect(reopened.recovered).toEqual({
      truncatedEntries: 2,
      reason: expect.stringMatching(/entry 5: .*torn/),
    });
    expect(warnings).toEqual([expect.stringContaining(`raft storage ${dir}: cut 2 uncommitted entries`)]);
    expect(reopened.lastIndex()).toBe(4);
    expect(reopened.entries(1, 5)).toEqual(ents(1, 4, 1));
    // the cut is durable: the next open finds a clean log, and the log grows again from 5
    await reopened.persist({ entries: [ent(5, 2)] }, true);
    await reopened.close();
    const again = await LevelStorage.open(dir, ident);
    expect([again.recovered, again.lastIndex(), again.term(5)]).toEqual([undefined, 5, 2]);
    await again.close();
  });

  it('cuts the tail at a record with a bad checksum', async () => {
    const s = await LevelStorage.open(dir, ident);
    await s.persist({ entries: ents(1, 4, 1), hardState: hs(1, 2) }, true);
    await s.close();
    await withRawDb(async (db) => {
      const four = Uint8Array.from((await db.get(entryKey(4)))!);
      four[four.length - 1]! ^= 0x01;
      await db.put(entryKey(4), four);
    });
    const reopened = await LevelStorage.open(dir, ident);
    expect(reopened.recovered).toEqual({
      truncatedEntries: 1,
      reason: expect.stringMatching(/entry 4: checksum mismatch/),
    });
    expect(reopened.entries(1, 4)).toEqual(ents(1, 3, 1));
    await reopened.close();
  });

  it('refuses to open when a committed entry is corrupt, naming the index and the dir', async () => {
    const s = await LevelStorage.open(dir, ident);
    await s.persist({ entries: ents(1, 5, 1), hardState: hs(1, 4) }, true);
    await s.close();
    await withRawDb((db) => db.put(entryKey(2), text.encode('garbage')));
    const opening = LevelStorage.open(dir, ident);
    await expect(opening).rejects.toThrow(StorageCorruptionError);
    await expect(opening).rejects.toThrow(
      new RegExp(`raft storage ${dir}: entry 2 is corrupt: .*committed \\(commit 4\\)`),
    );
  });

  it('refuses a gap in the entry sequence and a corrupt hard state', async () => {
    const s = await LevelStorage.open(dir, ident);
    await s.persist({ entries: ents(1, 5, 1), hardState: hs(1, 1) }, true);
    await s.close();
    await withRawDb((db) => db.del(entryKey(3)));
    await expect(LevelStorage.open(dir, ident)).rejects.toThrow(
      /entry 3 is corrupt: missing: the log jumps from 2 to 4/,
    );
    await withRawDb(async (db) => {
      const value = Uint8Array.from((await db.get(HARD_STATE_KEY))!);
      value[10]! ^= 0xff;
      await db.put(HARD_STATE_KEY, value);
    });
    await expect(LevelStorage.open(dir, ident)).rejects.toThrow(
      new RegExp(`raft storage ${dir}: hard state is corrupt: checksum mismatch`),
    );
  });

  it('refuses a directory of another cluster or node', async () => {
    await (await LevelStorage.open(dir, ident)).close();
    await expect(LevelStorage.open(dir, { nodeId: 'n1', clusterId: 'other' })).rejects.toThrow(
      StorageIdentityError,
    );
    await expect(LevelStorage.open(dir, { nodeId: 'n1', clusterId: 'other' })).rejects.toThrow(
      `raft storage ${dir}: holds the log of node "n1" of cluster "c1"; refusing to open it as node "n1" of cluster "other"`,
    );
    await expect(LevelStorage.open(dir, { nodeId: 'n2', clusterId: 'c1' })).rejects.toThrow(/node "n2"/);
    await expect(LevelStorage.open(dir, { nodeId: '', clusterId: 'c1' })).rejects.toThrow(
      /nodeId must be a non-empty string/,
    );
    // a refused open released the directory: the right identity still opens it
    await (await LevelStorage.open(dir, ident)).close();
  });

  it('refuses writes after close', async () => {
    const s = await LevelStorage.open(dir, ident);
    await s.close();
    await expect(s.persist({ entries: [ent(1, 1)] }, true)).rejects.toThrow(/persist after close/);
  });
});

import { describe, expect, it } from 'vitest';
import {
  CompactedError,
  MemoryStorage,
  SnapshotOutOfDateError,
  UnavailableError,
  type ConfState,
  type Entry,
} from '../../src/index.js';

const ent = (index: number, term: number): Entry => ({
  index,
  term,
  type: 'normal',
  data: new Uint8Array(0),
});
const cs: ConfState = { voters: ['1'], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };

describe('MemoryStorage', () => {
  it('appends, overwrites a conflicting tail, and reports ranges', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(2, 1), ent(3, 1)]);
    s.append([ent(3, 2), ent(4, 2)]);
    expect(s.lastIndex()).toBe(4);
    expect(s.term(3)).toBe(2);
    expect(s.entries(2, 5).map((e) => e.index)).toEqual([2, 3, 4]);
    expect(() => s.entries(2, 6)).toThrow(UnavailableError);
    expect(() => s.append([ent(7, 2)])).toThrow(/missing log entry/);
  });

  it('compacts behind a snapshot and refuses to go back', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(2, 1), ent(3, 2), ent(4, 2)]);
    const snap = s.createSnapshot(3, cs, new Uint8Array([1]));
    expect(snap.metadata).toEqual({ index: 3, term: 2, confState: cs });
    s.compact(3);
    expect(s.firstIndex()).toBe(4);
    expect(s.term(3)).toBe(2);
    expect(() => s.term(2)).toThrow(CompactedError);
    expect(() => s.entries(3, 5)).toThrow(CompactedError);
    expect(() => s.compact(2)).toThrow(CompactedError);
    expect(() => s.createSnapshot(2, cs, new Uint8Array(0))).toThrow(SnapshotOutOfDateError);
    // Appending entries that are partly compacted keeps only the new part.
    s.append([ent(3, 2), ent(4, 2), ent(5, 2)]);
    expect(s.lastIndex()).toBe(5);
  });

  it('applySnapshot replaces the log and rejects older snapshots', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(2, 1)]);
    s.applySnapshot({ metadata: { index: 10, term: 3, confState: cs }, data: new Uint8Array(0) });
    expect(s.firstIndex()).toBe(11);
    expect(s.lastIndex()).toBe(10);
    expect(s.initialState().confState).toEqual(cs);
    expect(() =>
      s.applySnapshot({ metadata: { index: 5, term: 3, confState: cs }, data: new Uint8Array(0) }),
    ).toThrow(SnapshotOutOfDateError);
  });

  it('crash drops every write since the last sync, and only those', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(2, 1), ent(3, 1)]);
    s.setHardState({ term: 1, vote: '1', commit: 2 });
    s.sync();
    s.append([ent(3, 2), ent(4, 2)]);
    s.setHardState({ term: 2, vote: '2', commit: 3 });
    s.createSnapshot(3, cs, new Uint8Array(0));
    s.compact(2);
    expect(s.unsyncedWrites()).toBe(4);
    s.crash();
    expect(s.unsyncedWrites()).toBe(0);
    expect(s.firstIndex()).toBe(1);
    expect(s.lastIndex()).toBe(3);
    expect(s.term(3)).toBe(1);
    expect(s.initialState().hardState).toEqual({ term: 1, vote: '1', commit: 2 });
    expect(s.snapshot().metadata.index).toBe(0);
  });

  it('crash undoes an unsynced snapshot install', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1)]);
    s.sync();
    s.applySnapshot({ metadata: { index: 10, term: 3, confState: cs }, data: new Uint8Array(0) });
    s.crash();
    expect(s.lastIndex()).toBe(1);
    expect(s.snapshot().metadata.index).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { CompactedError, MemoryStorage, type Entry } from '../../src/index.js';
import { RaftLog, limitSize } from '../../src/core/raft-log.js';
import { UnstableLog } from '../../src/core/unstable-log.js';

const ent = (index: number, term: number, data = ''): Entry => ({
  index,
  term,
  type: 'normal',
  data: new TextEncoder().encode(data),
});

function logWith(stable: Entry[], unstable: Entry[] = []): RaftLog {
  const s = new MemoryStorage();
  s.append(stable);
  s.sync();
  const log = new RaftLog(s);
  log.append(unstable);
  return log;
}

describe('UnstableLog', () => {
  it('appends, truncates on conflict, and replaces everything before its offset', () => {
    const u = new UnstableLog(5);
    u.truncateAndAppend([ent(5, 1), ent(6, 1), ent(7, 1)]);
    expect(u.maybeLastIndex()).toBe(7);
    u.truncateAndAppend([ent(7, 2), ent(8, 2)]);
    expect(u.entries.map((e) => `${e.index}/${e.term}`)).toEqual(['5/1', '6/1', '7/2', '8/2']);
    u.truncateAndAppend([ent(4, 3)]);
    expect(u.offset).toBe(4);
    expect(u.entries.map((e) => `${e.index}/${e.term}`)).toEqual(['4/3']);
  });

  it('stableTo drops persisted entries only when the term still matches', () => {
    const u = new UnstableLog(1);
    u.truncateAndAppend([ent(1, 1), ent(2, 1), ent(3, 1)]);
    u.stableTo(2, 1);
    expect(u.offset).toBe(3);
    expect(u.entries).toHaveLength(1);
    u.truncateAndAppend([ent(3, 2)]);
    u.stableTo(3, 1); // the entry persisted was replaced meanwhile
    expect(u.entries).toHaveLength(1);
    u.stableTo(3, 2);
    expect(u.entries).toHaveLength(0);
    expect(u.offset).toBe(4);
  });

  it('a snapshot defines first index and the term at its index', () => {
    const u = new UnstableLog(1);
    const cs = { voters: ['1'], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
    u.restore({ metadata: { index: 10, term: 3, confState: cs }, data: new Uint8Array(0) });
    expect(u.maybeFirstIndex()).toBe(11);
    expect(u.maybeLastIndex()).toBe(10);
    expect(u.maybeTerm(10)).toBe(3);
    expect(u.maybeTerm(9)).toBeUndefined();
    u.stableSnapTo(10);
    expect(u.snapshot).toBeUndefined();
  });
});

describe('RaftLog', () => {
  it('maybeAppend appends after a match and commits only up to the last new entry', () => {
    const log = logWith([ent(1, 1), ent(2, 1)]);
    expect(log.maybeAppend(2, 1, 10, [ent(3, 2)])).toBe(3);
    expect(log.committed).toBe(3);
    expect(log.maybeAppend(3, 9, 10, [ent(4, 9)])).toBeUndefined();
  });

  it('never commits beyond the last entry the message proves matching', () => {
    // Entry 3 may be from a stale term the leader does not have: the leader's commit 3 must not reach it.
    const log = logWith([ent(1, 1), ent(2, 1), ent(3, 1)]);
    expect(log.maybeAppend(1, 1, 3, [ent(2, 1)])).toBe(2);
    expect(log.committed).toBe(2);
  });

  it('a duplicate append does not truncate later matching entries', () => {
    const log = logWith([ent(1, 1), ent(2, 1), ent(3, 1), ent(4, 1)]);
    expect(log.maybeAppend(1, 1, 0, [ent(2, 1)])).toBe(2);
    expect(log.lastIndex()).toBe(4);
  });

  it('a conflicting append replaces the tail from the first conflict', () => {
    const log = logWith([ent(1, 1), ent(2, 1), ent(3, 1)]);
    expect(log.maybeAppend(1, 1, 0, [ent(2, 1), ent(3, 2), ent(4, 2)])).toBe(4);
    expect(log.term(3)).toBe(2);
    expect(log.unstable.offset).toBe(3);
  });

  it('refuses to overwrite committed entries', () => {
    const log = logWith([ent(1, 1), ent(2, 1)]);
    log.commitTo(2);
    expect(() => log.maybeAppend(1, 1, 2, [ent(2, 5)])).toThrow(/conflicts with committed/);
  });

  it('findConflictByTerm skips a whole term', () => {
    const log = logWith([ent(1, 1), ent(2, 1), ent(3, 2), ent(4, 2), ent(5, 3)]);
    expect(log.findConflictByTerm(5, 2)).toEqual({ index: 4, term: 2 });
    expect(log.findConflictByTerm(5, 1)).toEqual({ index: 2, term: 1 });
    expect(log.findConflictByTerm(5, 3)).toEqual({ index: 5, term: 3 });
  });

  it('maybeCommit only commits an entry of the given term', () => {
    const log = logWith([ent(1, 1), ent(2, 2)]);
    expect(log.maybeCommit(1, 2)).toBe(false);
    expect(log.committed).toBe(0);
    expect(log.maybeCommit(2, 2)).toBe(true);
    expect(log.committed).toBe(2);
  });

  it('slices across storage and the unstable tail with a size limit', () => {
    const log = logWith([ent(1, 1, 'aa'), ent(2, 1, 'bb')], [ent(3, 1, 'cc'), ent(4, 1, 'dd')]);
    expect(log.slice(1, 5).map((e) => e.index)).toEqual([1, 2, 3, 4]);
    expect(log.slice(2, 4).map((e) => e.index)).toEqual([2, 3]);
    expect(log.slice(1, 5, 5).map((e) => e.index)).toEqual([1, 2]);
    expect(log.slice(3, 5, 0).map((e) => e.index)).toEqual([3]);
  });

  it('tracks committed and applied entries to hand out', () => {
    const log = logWith([ent(1, 1), ent(2, 1)], [ent(3, 1)]);
    expect(log.hasNextCommittedEnts()).toBe(false);
    log.commitTo(3);
    expect(log.nextCommittedEnts().map((e) => e.index)).toEqual([1, 2, 3]);
    log.appliedTo(2);
    expect(log.nextCommittedEnts().map((e) => e.index)).toEqual([3]);
    expect(() => log.appliedTo(4)).toThrow(/applied 4 out of range/);
  });

  it('term() reports compaction', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(2, 1), ent(3, 1)]);
    s.createSnapshot(2, undefined, new Uint8Array(0));
    s.compact(2);
    const log = new RaftLog(s);
    expect(log.term(2)).toBe(1);
    expect(() => log.term(1)).toThrow(CompactedError);
    expect(log.termOrZero(1)).toBe(0);
    expect(log.firstIndex()).toBe(3);
  });

  it('limitSize keeps at least one entry', () => {
    const ents = [ent(1, 1, 'xxxx'), ent(2, 1, 'y')];
    expect(limitSize(ents, 1)).toHaveLength(1);
    expect(limitSize(ents, 5)).toHaveLength(2);
  });
});

import { CompactedError, RaftError, UnavailableError } from './errors.js';
import type { Entry, Snapshot, Storage } from './types.js';
import { UnstableLog } from './unstable-log.js';

/** Bytes an entry counts for batching and the uncommitted-size cap: its payload. */
export function entryPayloadSize(e: Entry): number {
  return e.data.byteLength;
}

/** Keeps a prefix of ents whose total payload fits maxBytes; always at least one entry. */
export function limitSize(ents: Entry[], maxBytes: number): Entry[] {
  if (ents.length === 0 || maxBytes === Infinity) return ents;
  let size = entryPayloadSize(ents[0]!);
  let n = 1;
  for (; n < ents.length; n++) {
    size += entryPayloadSize(ents[n]!);
    if (size > maxBytes) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}

/**
 * The replicated log as the Raft state machine sees it: stable storage followed by the unstable tail, plus the
 * commit and apply cursors.
 */
export class RaftLog {
  readonly storage: Storage;
  readonly unstable: UnstableLog;
  committed: number;
  applied: number;
  private readonly maxApplyingBytes: number;

  constructor(storage: Storage, maxApplyingBytes = Infinity) {
    this.storage = storage;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new UnstableLog(last + 1);
    this.committed = first - 1;
    this.applied = first - 1;
    this.maxApplyingBytes = maxApplyingBytes;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** Highest index known to be persisted (0 while an incoming snapshot is not yet persisted). */
  stableLastIndex(): number {
    if (this.unstable.snapshot) return 0;
    return this.unstable.offset - 1;
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  /** Term at index i; throws CompactedError / UnavailableError outside [firstIndex-1, lastIndex]. */
  term(i: number): number {
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    const dummy = this.firstIndex() - 1;
    if (i < dummy) throw new CompactedError(i, dummy + 1);
    const last = this.lastIndex();
    if (i > last) throw new UnavailableError(i, last);
    return this.storage.term(i);
  }

  /** Term at index i, or 0 when i is compacted or beyond the log. */
  termOrZero(i: number): number {
    // Checked without exceptions: this runs for every entry of every append.
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return 0;
    try {
      return this.storage.term(i);
    } catch (e) {
      if (e instanceof CompactedError || e instanceof UnavailableError) return 0;
      throw e;
    }
  }

  /** Whether our log has an entry (or the snapshot/dummy boundary) at index i with term t. Index 0 with term 0
   * is the empty prefix every log shares. */
  matchTerm(i: number, t: number): boolean {
    const u = this.unstable.maybeTerm(i);
    if (u !== undefined) return u === t;
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return false;
    try {
      return this.storage.term(i) === t;
    } catch (e) {
      if (e instanceof CompactedError || e instanceof UnavailableError) return false;
      throw e;
    }
  }

  isUpToDate(lastIndex: number, term: number): boolean {
    const lt = this.lastTerm();
    return term > lt || (term === lt && lastIndex >= this.lastIndex());
  }

  /**
   * Appends ents received after (index, logTerm) if the log matches there. Only entries from the first conflict
   * on are replaced, so a stale or duplicate append never truncates matching entries. Returns the index of the
   * last entry of the message, or undefined on mismatch.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) {
        throw new RaftError(
          `raft log: entry ${ci} conflicts with committed entry (committed ${this.committed})`,
        );
      }
      this.append(ents.slice(ci - (index + 1)));
    }
    // Only what this message proves matching may be committed: never beyond its last entry.
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: Entry[]): number {
    const first = ents[0];
    if (!first) return this.lastIndex();
    if (first.index - 1 < this.committed) {
      throw new RaftError(`raft log: append after ${first.index - 1} is below committed ${this.committed}`);
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** Index of the first entry whose term differs from ours (or that is new); 0 when all match. */
  findConflict(ents: Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * Largest index <= `index` whose term is <= `term`, with that term: the leader's probe can skip every entry
   * of a term the follower does not have (fast backtracking).
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = index; i >= 0; i--) {
      let t: number;
      try {
        t = this.term(i);
      } catch (e) {
        if (e instanceof CompactedError || e instanceof UnavailableError) return { index: i, term: 0 };
        throw e;
      }
      if (t <= term) return { index: i, term: t };
    }
    return { index: 0, term: 0 };
  }

  commitTo(toCommit: number): void {
    if (toCommit <= this.committed) return;
    const last = this.lastIndex();
    if (toCommit > last) {
      throw new RaftError(`raft log: commit ${toCommit} is out of range (last index ${last})`);
    }
    this.committed = toCommit;
  }

  /** Commits up to maxIndex only if that entry is from `term` (Raft §5.4.2). */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.termOrZero(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  appliedTo(i: number): void {
    if (i === 0) return;
    if (i > this.committed || i < this.applied) {
      throw new RaftError(`raft log: applied ${i} out of range [${this.applied}, ${this.committed}]`);
    }
    this.applied = i;
  }

  hasNextCommittedEnts(): boolean {
    if (this.unstable.snapshot) return false;
    return this.committed > this.applied;
  }

  nextCommittedEnts(): Entry[] {
    if (!this.hasNextCommittedEnts()) return [];
    const lo = Math.max(this.applied + 1, this.firstIndex());
    return this.slice(lo, this.committed + 1, this.maxApplyingBytes);
  }

  /** Entries from i on, limited to maxBytes (at least one). */
  entries(i: number, maxBytes: number): Entry[] {
    const last = this.lastIndex();
    if (i > last) return [];
    return this.slice(i, last + 1, maxBytes);
  }

  /** Entries in [lo, hi) from storage and the unstable tail. Throws CompactedError below firstIndex. */
  slice(lo: number, hi: number, maxBytes = Infinity): Entry[] {
    if (lo > hi) throw new RaftError(`raft log: invalid slice ${lo} > ${hi}`);
    const first = this.firstIndex();
    if (lo < first) throw new CompactedError(lo, first);
    const last = this.lastIndex();
    if (hi > last + 1) throw new UnavailableError(hi - 1, last);
    if (lo === hi) return [];
    const off = this.unstable.offset;
    let ents: Entry[] = [];
    if (lo < off) {
      ents = this.storage.entries(lo, Math.min(hi, off), maxBytes);
      if (ents.length < Math.min(hi, off) - lo) return ents; // the storage hit the size limit
    }
    if (hi > off) {
      const tail = this.unstable.slice(Math.max(lo, off), hi);
      ents = ents.length > 0 ? ents.concat(tail) : tail;
    }
    return limitSize(ents, maxBytes);
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  stableTo(i: number, t: number): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }
}

import { CompactedError, UnavailableError } from '../core/errors.js';
import { limitSize } from '../core/raft-log.js';
import type { ConfState, Entry, HardState, Snapshot, Storage } from '../core/types.js';

/**
 * The synchronous reads every storage answers the core from: the hard state, the latest snapshot and the log since
 * the compaction point, held in memory. Subclasses decide how writes reach a disk (or none).
 */
export abstract class LogViewStorage implements Storage {
  protected constructor(
    protected hardState: HardState,
    protected snap: Snapshot,
    /** ents[0] is a dummy entry at the compaction point (the snapshot's index and term, or index 0). */
    protected ents: Entry[],
  ) {}

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: { ...this.hardState }, confState: this.snap.metadata.confState };
  }

  protected offset(): number {
    return this.ents[0]!.index;
  }

  entries(lo: number, hi: number, maxBytes = Infinity): Entry[] {
    const off = this.offset();
    if (lo <= off) throw new CompactedError(lo, off + 1);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    return limitSize(this.ents.slice(lo - off, hi - off), maxBytes);
  }

  term(index: number): number {
    const off = this.offset();
    if (index < off) throw new CompactedError(index, off + 1);
    const e = this.ents[index - off];
    if (!e) throw new UnavailableError(index, this.lastIndex());
    return e.term;
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.ents.length - 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }
}

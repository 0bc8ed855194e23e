import { CompactedError, RaftError, SnapshotOutOfDateError, UnavailableError } from '../core/errors.js';
import type { ConfState, Entry, HardState, Snapshot } from '../core/types.js';
import { LogViewStorage } from './log-view-storage.js';

function emptyConfState(): ConfState {
  return { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
}

/**
 * In-memory Storage. Writes are volatile until sync(); crash() drops everything written since the last sync(),
 * which lets a simulator check that no message ever depends on unsynced state. Volatility is an undo journal of
 * the writes since the last sync, so neither sync() nor crash() copies the log.
 */
export class MemoryStorage extends LogViewStorage {
  private undo: Array<() => void> = [];

  constructor() {
    super(
      { term: 0, vote: '', commit: 0 },
      { metadata: { index: 0, term: 0, confState: emptyConfState() }, data: new Uint8Array(0) },
      [{ term: 0, index: 0, type: 'normal', data: new Uint8Array(0) }],
    );
  }

  hardStateNow(): HardState {
    return { ...this.hardState };
  }

  /** Appends entries, replacing any existing entries from the first new index on. */
  append(entries: Entry[]): void {
    const firstNew = entries[0];
    if (!firstNew) return;
    const first = this.firstIndex();
    const lastNew = firstNew.index + entries.length - 1;
    if (lastNew < first) return; // everything is already compacted
    if (first > firstNew.index) entries = entries.slice(first - firstNew.index);
    const start = entries[0]!.index - this.offset();
    if (start > this.ents.length) {
      throw new RaftError(
        `memory storage: missing log entry [last: ${this.lastIndex()}, append at: ${entries[0]!.index}]`,
      );
    }
    const removed = start < this.ents.length ? this.ents.splice(start) : [];
    for (const e of entries) this.ents.push(e);
    this.undo.push(() => {
      this.ents.length = start;
      for (const e of removed) this.ents.push(e);
    });
  }

  setHardState(hs: HardState): void {
    const prev = this.hardState;
    this.hardState = { ...hs };
    this.undo.push(() => (this.hardState = prev));
  }

  /** Replaces the log with the snapshot (its entries are gone). Throws SnapshotOutOfDateError if older. */
  applySnapshot(s: Snapshot): void {
    const cur = this.snap.metadata.index;
    if (s.metadata.index <= cur) throw new SnapshotOutOfDateError(s.metadata.index, cur);
    const prevSnap = this.snap;
    const prevEnts = this.ents;
    this.snap = s;
    this.ents = [{ term: s.metadata.term, index: s.metadata.index, type: 'normal', data: new Uint8Array(0) }];
    this.undo.push(() => {
      this.snap = prevSnap;
      this.ents = prevEnts;
    });
  }

  /** Records a snapshot of the state machine at `index` (which must be applied and in the log). */
  createSnapshot(index: number, cs: ConfState | undefined, data: Uint8Array): Snapshot {
    const cur = this.snap.metadata.index;
    if (index <= cur) throw new SnapshotOutOfDateError(index, cur);
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    const prev = this.snap;
    this.snap = {
      metadata: { index, term: this.term(index), confState: cs ?? prev.metadata.confState },
      data,
    };
    this.undo.push(() => (this.snap = prev));
    return this.snap;
  }

  /** Discards entries up to and including `index` (the caller snapshotted them). */
  compact(index: number): void {
    const off = this.offset();
    if (index <= off) throw new CompactedError(index, off + 1);
    if (index > this.lastIndex()) {
      throw new RaftError(
        `memory storage: compact ${index} is out of bound (last index ${this.lastIndex()})`,
      );
    }
    const prev = this.ents;
    const dummy = this.ents[index - off]!;
    const head: Entry = { term: dummy.term, index: dummy.index, type: 'normal', data: new Uint8Array(0) };
    this.ents = [head].concat(this.ents.slice(index - off + 1));
    this.undo.push(() => (this.ents = prev));
  }

  /** Makes every write so far durable. */
  sync(): void {
    this.undo = [];
  }

  /** Simulates a power loss: every write since the last sync() is lost. */
  crash(): void {
    for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]!();
    this.undo = [];
  }

  /** Number of writes not yet synced. */
  unsyncedWrites(): number {
    return this.undo.length;
  }
}

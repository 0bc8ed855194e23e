import type { ConfState, Entry, HardState, Snapshot } from '../core/types.js';
import { MemoryStorage } from './memory-storage.js';
import type { PersistentStorage, StorageUpdate } from './persistent-storage.js';

/**
 * PersistentStorage kept in memory, for a RaftNode in tests or a node that may lose its state. `memory` is the
 * underlying MemoryStorage: keep it across a node's restarts to restart from what was synced (memory.crash()
 * drops the rest, as a power loss would).
 */
export class MemoryPersistentStorage implements PersistentStorage {
  constructor(readonly memory: MemoryStorage = new MemoryStorage()) {}

  initialState(): { hardState: HardState; confState: ConfState } {
    return this.memory.initialState();
  }

  entries(lo: number, hi: number, maxBytes?: number): Entry[] {
    return this.memory.entries(lo, hi, maxBytes);
  }

  term(index: number): number {
    return this.memory.term(index);
  }

  firstIndex(): number {
    return this.memory.firstIndex();
  }

  lastIndex(): number {
    return this.memory.lastIndex();
  }

  snapshot(): Snapshot {
    return this.memory.snapshot();
  }

  persist(update: StorageUpdate, sync: boolean): Promise<void> {
    if (update.snapshot) this.memory.applySnapshot(update.snapshot);
    if (update.entries.length > 0) this.memory.append(update.entries);
    if (update.hardState) this.memory.setHardState(update.hardState);
    if (sync) this.memory.sync();
    return Promise.resolve();
  }

  createSnapshot(
    index: number,
    confState: ConfState | undefined,
    data: Uint8Array,
    compactTo: number,
  ): Promise<Snapshot> {
    const snap = this.memory.createSnapshot(index, confState, data);
    if (compactTo >= this.memory.firstIndex()) this.memory.compact(compactTo);
    this.memory.sync();
    return Promise.resolve(snap);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

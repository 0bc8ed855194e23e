import type { ConfState, Entry, HardState, Snapshot, Storage } from '../core/types.js';

/** What one Ready asks to be made durable, in the order the core requires: snapshot, then entries, then hard state. */
export interface StorageUpdate {
  snapshot?: Snapshot;
  entries: Entry[];
  hardState?: HardState;
}

/**
 * Storage a RaftNode runs on. Reads are synchronous from an in-memory view (the core reads on every step); writes
 * update that view at once and resolve when the disk holds them, so the driver can send the messages that depend
 * on them only after the promise resolves.
 */
export interface PersistentStorage extends Storage {
  /** One atomic write of the update (truncation of a conflicting tail included); fsynced when `sync` is true. */
  persist(update: StorageUpdate, sync: boolean): Promise<void>;
  /**
   * Records a state machine snapshot taken at `index` (applied, and in the log) and discards entries up to
   * `compactTo` (≤ index) in the same atomic write. Resolves once durable.
   */
  createSnapshot(
    index: number,
    confState: ConfState | undefined,
    data: Uint8Array,
    compactTo: number,
  ): Promise<Snapshot>;
  close(): Promise<void>;
}

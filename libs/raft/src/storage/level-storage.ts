import { ClassicLevel } from 'classic-level';
import { RaftError, RaftUsageError, SnapshotOutOfDateError, UnavailableError } from '../core/errors.js';
import type { ConfState, Entry, HardState, RaftLogger, Snapshot } from '../core/types.js';
import { LogViewStorage } from './log-view-storage.js';
import type { PersistentStorage, StorageUpdate } from './persistent-storage.js';
import {
  ENTRY_KEYS_END,
  entryIndexOfKey,
  entryKey,
  HARD_STATE_KEY,
  LOG_START_KEY,
  META_KEY,
  SNAPSHOT_KEY,
} from './storage-keys.js';
import {
  decodeEntry,
  decodeHardState,
  decodeLogStart,
  decodeMeta,
  decodeSnapshot,
  encodeEntry,
  encodeHardState,
  encodeLogStart,
  encodeMeta,
  encodeSnapshot,
  RecordError,
  STORAGE_FORMAT_VERSION,
  type LogStart,
} from './storage-records.js';
import { StorageCorruptionError, StorageIdentityError } from './storage.errors.js';

export interface LevelStorageOptions {
  nodeId: string;
  clusterId: string;
  /** Whether persist(update, true) and createSnapshot fsync. Default true. */
  fsync?: boolean;
  /** Told about a torn or corrupt uncommitted tail cut off at open. */
  logger?: Pick<RaftLogger, 'warn'>;
}

/** What open() had to cut off: uncommitted entries past the first torn or corrupt record. */
export interface StorageRecovery {
  truncatedEntries: number;
  reason: string;
}

type Db = ClassicLevel<Uint8Array, Uint8Array>;
type BatchOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

interface LoadedState {
  hardState: HardState;
  snapshot: Snapshot;
  /** ents[0] is a dummy entry at the log start (the compaction point). */
  ents: Entry[];
  recovered: StorageRecovery | undefined;
}

const EMPTY_DATA = new Uint8Array(0);

function emptySnapshot(): Snapshot {
  return {
    metadata: {
      index: 0,
      term: 0,
      confState: { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
    },
    data: EMPTY_DATA,
  };
}

function dummyEntry(index: number, term: number): Entry {
  return { index, term, type: 'normal', data: EMPTY_DATA };
}

/**
 * Durable Raft storage in one classic-level database. The whole log since the last compaction is also kept in
 * memory, so the core's reads stay synchronous; persist() and createSnapshot() update that view at once and resolve
 * when LevelDB holds the write, each as ONE atomic batch (a conflicting tail's deletion included), in call order.
 */
export class LevelStorage extends LogViewStorage implements PersistentStorage {
  /** The chain of writes: each batch starts once the previous one is done, so disk order is call order. */
  private writes: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;
  /**
   * A commit-only hard state change not yet on disk. The core needs no durable commit index (a restarted node
   * learns it again from the leader), so such a change rides along with the next write instead of costing one of
   * its own on every node for every commit; createSnapshot and close() write it too, so the stored commit never
   * falls behind the snapshot.
   */
  private hardStateDirty = false;

  private constructor(
    private readonly db: Db,
    readonly dir: string,
    private readonly fsync: boolean,
    loaded: LoadedState,
    /** Set when open() cut a torn or corrupt uncommitted tail. */
    readonly recovered: StorageRecovery | undefined,
  ) {
    super(loaded.hardState, loaded.snapshot, loaded.ents);
  }

  /**
   * Opens (creating if needed) the log in `dir`. Fails naming the dir when it belongs to another node or cluster,
   * or when a committed entry, the hard state or the snapshot is corrupt; cuts a corrupt uncommitted tail.
   */
  static async open(dir: string, opts: LevelStorageOptions): Promise<LevelStorage> {
    for (const field of ['nodeId', 'clusterId'] as const) {
      if (typeof opts[field] !== 'string' || opts[field] === '') {
        throw new RaftUsageError(`LevelStorage.open(${dir}): ${field} must be a non-empty string`);
      }
    }
    const fsync = opts.fsync ?? true;
    const db: Db = new ClassicLevel<Uint8Array, Uint8Array>(dir, {
      keyEncoding: 'view',
      valueEncoding: 'view',
    });
    try {
      await db.open();
    } catch (error) {
      const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause : error) : error;
      throw new RaftError(`raft storage ${dir}: cannot open the database: ${String(cause)}`);
    }
    try {
      await checkIdentity(db, dir, opts, fsync);
      const loaded = await loadLog(db, dir, fsync);
      if (loaded.recovered) {
        opts.logger?.warn(
          `raft storage ${dir}: cut ${loaded.recovered.truncatedEntries} uncommitted entries at open: ` +
            loaded.recovered.reason,
        );
      }
      return new LevelStorage(db, dir, fsync, loaded, loaded.recovered);
    } catch (error) {
      await db.close();
      throw error;
    }
  }

  // ---- PersistentStorage ----------------------------------------------------------------------------------

  persist(update: StorageUpdate, sync: boolean): Promise<void> {
    const ops: BatchOp[] = [];
    try {
      this.checkWritable('persist');
      if (update.snapshot) {
        const current = this.snap.metadata.index;
        if (update.snapshot.metadata.index <= current) {
          throw new SnapshotOutOfDateError(update.snapshot.metadata.index, current);
        }
      }
      const offsetAfterSnapshot = update.snapshot ? update.snapshot.metadata.index : this.offset();
      const lastAfterSnapshot = update.snapshot ? offsetAfterSnapshot : this.lastIndex();
      const appended = entriesToAppend(update.entries, offsetAfterSnapshot, lastAfterSnapshot);
      const hs = update.hardState;
      if (
        !sync &&
        !update.snapshot &&
        appended.length === 0 &&
        hs !== undefined &&
        hs.term === this.hardState.term &&
        hs.vote === this.hardState.vote
      ) {
        this.hardState = { ...hs };
        this.hardStateDirty = true;
        return Promise.resolve();
      }
      // every check passed: from here on the view changes and the batch describes the same change
      if (update.snapshot) this.installSnapshot(update.snapshot, ops);
      if (appended.length > 0) this.appendEntries(appended, ops);
      if (hs) this.hardState = { ...hs };
      if (hs || this.hardStateDirty) this.putHardState(ops);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.write(ops, sync);
  }

  createSnapshot(
    index: number,
    confState: ConfState | undefined,
    data: Uint8Array,
    compactTo: number,
  ): Promise<Snapshot> {
    const ops: BatchOp[] = [];
    let snapshot: Snapshot;
    try {
      this.checkWritable('createSnapshot');
      const current = this.snap.metadata.index;
      if (index <= current) throw new SnapshotOutOfDateError(index, current);
      if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
      if (compactTo > index) {
        throw new RaftUsageError(
          `raft storage ${this.dir}: createSnapshot compactTo ${compactTo} is past the snapshot index ${index}`,
        );
      }
      snapshot = {
        metadata: { index, term: this.term(index), confState: confState ?? this.snap.metadata.confState },
        data,
      };
      const off = this.offset();
      if (compactTo > off) {
        const start: LogStart = { index: compactTo, term: this.term(compactTo) };
        for (let i = off + 1; i <= compactTo; i++) ops.push({ type: 'del', key: entryKey(i) });
        ops.push({ type: 'put', key: LOG_START_KEY, value: encodeLogStart(start) });
        this.ents = [dummyEntry(start.index, start.term)].concat(this.ents.slice(compactTo - off + 1));
      }
      this.snap = snapshot;
      ops.push({ type: 'put', key: SNAPSHOT_KEY, value: encodeSnapshot(snapshot) });
      if (this.hardStateDirty) this.putHardState(ops);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.write(ops, true).then(() => snapshot);
  }

  /** Waits for every write already issued, then closes the database. Later writes are refused. */
  close(): Promise<void> {
    if (!this.closing && this.hardStateDirty && !this.failure) {
      const ops: BatchOp[] = [];
      this.putHardState(ops);
      void this.write(ops, false).catch(() => undefined);
    }
    this.closing ??= this.writes.then(() => this.db.close());
    return this.closing;
  }

  // ---- internals ------------------------------------------------------------------------------------------

  private checkWritable(what: string): void {
    if (this.closing) throw new RaftUsageError(`raft storage ${this.dir}: ${what} after close()`);
    if (this.failure) throw this.failure;
  }

  private putHardState(ops: BatchOp[]): void {
    ops.push({ type: 'put', key: HARD_STATE_KEY, value: encodeHardState(this.hardState) });
    this.hardStateDirty = false;
  }

  /** Replaces the whole log with the snapshot: every stored entry key goes in the same batch. */
  private installSnapshot(snapshot: Snapshot, ops: BatchOp[]): void {
    for (let i = this.firstIndex(); i <= this.lastIndex(); i++) ops.push({ type: 'del', key: entryKey(i) });
    const { index, term } = snapshot.metadata;
    ops.push({ type: 'put', key: SNAPSHOT_KEY, value: encodeSnapshot(snapshot) });
    ops.push({ type: 'put', key: LOG_START_KEY, value: encodeLogStart({ index, term }) });
    this.snap = snapshot;
    this.ents = [dummyEntry(index, term)];
  }

  /** Writes `entries` over the log from their first index on, deleting the keys of any longer old tail. */
  private appendEntries(entries: Entry[], ops: BatchOp[]): void {
    const oldLast = this.lastIndex();
    const start = entries[0]!.index - this.offset();
    this.ents.length = start;
    for (const entry of entries) {
      this.ents.push(entry);
      ops.push({ type: 'put', key: entryKey(entry.index), value: encodeEntry(entry) });
    }
    for (let i = this.lastIndex() + 1; i <= oldLast; i++) ops.push({ type: 'del', key: entryKey(i) });
  }

  private write(ops: BatchOp[], sync: boolean): Promise<void> {
    const done = this.writes.then(async () => {
      if (this.failure) throw this.failure;
      if (ops.length === 0) return;
      try {
        await this.db.batch(ops, { sync: sync && this.fsync });
      } catch (error) {
        // the view is ahead of the disk now: no later write may pretend otherwise
        this.failure = new RaftError(
          `raft storage ${this.dir}: write failed, storage unusable until reopened: ${String(error)}`,
        );
        throw this.failure;
      }
    });
    this.writes = done.catch(() => undefined);
    return done;
  }
}

/**
 * The part of `entries` to write on a log spanning (offset, last]: entries at or below the offset are already
 * compacted; the first remaining one may not start past last + 1.
 */
function entriesToAppend(entries: Entry[], offset: number, last: number): Entry[] {
  const firstNew = entries[0];
  if (!firstNew) return entries;
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.index !== firstNew.index + i) {
      throw new RaftUsageError(
        `raft storage: entries to persist are not contiguous (${firstNew.index + i} expected, got ${entries[i]!.index})`,
      );
    }
  }
  const lastNew = firstNew.index + entries.length - 1;
  if (lastNew <= offset) return [];
  const kept = firstNew.index <= offset ? entries.slice(offset + 1 - firstNew.index) : entries;
  if (kept[0]!.index > last + 1) {
    throw new RaftError(`raft storage: missing log entry [last: ${last}, append at: ${kept[0]!.index}]`);
  }
  return kept;
}

async function checkIdentity(db: Db, dir: string, opts: LevelStorageOptions, fsync: boolean): Promise<void> {
  const value = await db.get(META_KEY);
  if (value === undefined) {
    for await (const key of db.keys({ limit: 1 })) {
      throw new StorageCorruptionError(
        dir,
        'meta',
        `missing, but the database holds other keys (first: 0x${Buffer.from(key).toString('hex')}); ` +
          'not a raft log directory?',
      );
    }
    const meta = { formatVersion: STORAGE_FORMAT_VERSION, nodeId: opts.nodeId, clusterId: opts.clusterId };
    await db.put(META_KEY, encodeMeta(meta), { sync: fsync });
    return;
  }
  const meta = decodeOrFail(dir, 'meta', () => decodeMeta(value));
  if (meta.formatVersion !== STORAGE_FORMAT_VERSION) {
    throw new StorageIdentityError(
      dir,
      `format version ${meta.formatVersion} is not the supported version ${STORAGE_FORMAT_VERSION}`,
    );
  }
  if (meta.clusterId !== opts.clusterId || meta.nodeId !== opts.nodeId) {
    throw new StorageIdentityError(
      dir,
      `holds the log of node "${meta.nodeId}" of cluster "${meta.clusterId}"; refusing to open it as node ` +
        `"${opts.nodeId}" of cluster "${opts.clusterId}"`,
    );
  }
}

async function loadLog(db: Db, dir: string, fsync: boolean): Promise<LoadedState> {
  const [hsValue, snapValue, startValue] = await db.getMany([HARD_STATE_KEY, SNAPSHOT_KEY, LOG_START_KEY]);
  const hardState = hsValue
    ? decodeOrFail(dir, 'hard state', () => decodeHardState(hsValue))
    : { term: 0, vote: '', commit: 0 };
  const snapshot = snapValue
    ? decodeOrFail(dir, 'snapshot', () => decodeSnapshot(snapValue))
    : emptySnapshot();
  const start = startValue
    ? decodeOrFail(dir, 'log start', () => decodeLogStart(startValue))
    : { index: 0, term: 0 };
  const snapIndex = snapshot.metadata.index;
  if (start.index > snapIndex || (start.index === snapIndex && start.term !== snapshot.metadata.term)) {
    throw new StorageCorruptionError(
      dir,
      'log start',
      `log starts after ${start.index}/${start.term} but the snapshot is at ${snapIndex}/${snapshot.metadata.term}`,
    );
  }
  // entries a node applied (in the snapshot) or learned committed must never be dropped
  const committed = Math.max(hardState.commit, snapIndex);
  const ents: Entry[] = [dummyEntry(start.index, start.term)];
  const doomed: Uint8Array[] = [];
  let cut: { index: number; reason: string } | undefined;
  for await (const [key, value] of db.iterator({ gt: entryKey(start.index), lt: ENTRY_KEYS_END })) {
    if (cut) {
      doomed.push(key);
      continue;
    }
    const index = entryIndexOfKey(key);
    const expected = start.index + ents.length;
    if (index === undefined) {
      throw new StorageCorruptionError(dir, `key 0x${Buffer.from(key).toString('hex')}`, 'not an entry key');
    }
    if (index !== expected) {
      throw new StorageCorruptionError(
        dir,
        `entry ${expected}`,
        `missing: the log jumps from ${expected - 1} to ${index}`,
      );
    }
    const checked = checkEntry(value, index, ents[ents.length - 1]!.term);
    if (typeof checked !== 'string') {
      ents.push(checked);
      continue;
    }
    const problem = checked;
    if (index <= committed) {
      throw new StorageCorruptionError(
        dir,
        `entry ${index}`,
        `${problem}; it is committed (commit ${committed}), refusing to open rather than lose it`,
      );
    }
    cut = { index, reason: `entry ${index}: ${problem}` };
    doomed.push(key);
  }
  const last = start.index + ents.length - 1;
  if (last < committed) {
    throw new StorageCorruptionError(
      dir,
      `entry ${last + 1}`,
      `missing: the log ends at ${last} but entries up to ${committed} are committed`,
    );
  }
  let recovered: StorageRecovery | undefined;
  if (cut) {
    await db.batch(
      doomed.map((key) => ({ type: 'del' as const, key })),
      { sync: fsync },
    );
    recovered = { truncatedEntries: doomed.length, reason: cut.reason };
  }
  return { hardState, snapshot, ents, recovered };
}

/** The entry stored at `index` after an entry of `prevTerm`, or why it cannot be trusted. */
function checkEntry(value: Uint8Array, index: number, prevTerm: number): Entry | string {
  let entry: Entry;
  try {
    entry = decodeEntry(value);
  } catch (error) {
    if (error instanceof RecordError) return error.reason;
    throw error;
  }
  if (entry.index !== index) return `the key of entry ${index} holds entry ${entry.index}`;
  if (entry.term < prevTerm) return `term ${entry.term} follows term ${prevTerm}`;
  return entry;
}

function decodeOrFail<T>(dir: string, what: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof RecordError) throw new StorageCorruptionError(dir, what, error.reason);
    throw error;
  }
}

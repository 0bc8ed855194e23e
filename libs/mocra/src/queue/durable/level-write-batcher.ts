import type { AbstractSublevel } from 'abstract-level';
import type { ClassicLevel } from 'classic-level';

/** The classic-level database behind the durable queue: Buffer keys and values throughout. */
export type LevelDb = ClassicLevel<Buffer, Buffer>;
export type LevelSublevel = AbstractSublevel<LevelDb, string | Buffer | Uint8Array, Buffer, Buffer>;

/** An operation on the root database; the key carries its sublevel's prefix (see putOp, delOp). */
export type LevelWriteOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

/**
 * Operations are prefixed here rather than passed with a `sublevel` option: abstract-level's per-operation
 * sublevel handling doubled the cost of a batch in measurements, and the stored bytes are the same.
 */
export function putOp(sublevel: LevelSublevel, key: Buffer, value: Buffer): LevelWriteOp {
  return { type: 'put', key: sublevel.prefixKey(key, 'buffer'), value };
}

export function delOp(sublevel: LevelSublevel, key: Buffer): LevelWriteOp {
  return { type: 'del', key: sublevel.prefixKey(key, 'buffer') };
}

export interface LevelWriteBatcherOptions {
  /**
   * fsync each batch (default false). Without it a committed batch sits in LevelDB's log in the OS page cache: it
   * survives the process being killed (kill -9, a crash) but not a power loss or kernel panic.
   */
  sync?: boolean;
  /** A batch failed; its writers' promises reject too, this sees it once. */
  onError?: (err: unknown) => void;
}

interface Batch {
  ops: LevelWriteOp[];
  done: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Writers that do not await (acks, leases) must not turn a failed batch into an unhandled rejection.
  done.catch(() => {});
  return { ops: [], done, resolve, reject };
}

/**
 * Group commit for one classic-level database. Every write issued before the next flush goes into one `db.batch`,
 * which LevelDB applies atomically. The flush runs from setImmediate, so a synchronous block and the microtasks it
 * spawns never straddle two batches: writes made together in one event-loop turn commit together or not at all.
 *
 * Exactly one batch is in flight at a time and batches are written in the order they were sealed, so a later
 * write (an ack's delete) can never be applied before an earlier one (the publish's put) and resurrect a record.
 */
export class LevelWriteBatcher {
  private current: Batch | undefined;
  private inflight: Batch | undefined;
  private scheduled = false;
  private closed = false;
  private readonly sync: boolean;
  private readonly onError: (err: unknown) => void;
  /** Run when a batch is sealed, to add writes that summarise it (the queue's sequence high-water mark). */
  private readonly sealHooks: Array<(ops: LevelWriteOp[]) => void> = [];

  constructor(
    private readonly db: LevelDb,
    options: LevelWriteBatcherOptions = {},
  ) {
    this.sync = options.sync ?? false;
    this.onError = options.onError ?? (() => {});
  }

  /** Adds `fn` to run on every batch as it is sealed; it may push more operations. */
  onSeal(fn: (ops: LevelWriteOp[]) => void): void {
    this.sealHooks.push(fn);
  }

  /** Queues operations; resolves when the batch holding them is committed. */
  write(...ops: LevelWriteOp[]): Promise<void> {
    if (this.closed) {
      const refused = Promise.reject(new Error('durable store write: the store is closed'));
      refused.catch(() => {});
      return refused;
    }
    const batch = (this.current ??= newBatch());
    for (const op of ops) batch.ops.push(op);
    this.schedule();
    return batch.done;
  }

  /** Resolves when every write queued so far is committed (rejects if its batch failed). */
  flush(): Promise<void> {
    if (this.current !== undefined) return this.current.done;
    return this.inflight?.done ?? Promise.resolve();
  }

  /** Writes what is queued and refuses further writes. */
  async close(): Promise<void> {
    this.closed = true;
    // A batch that fails on close was reported through onError already.
    while (this.current !== undefined || this.inflight !== undefined) await this.flush().catch(() => {});
  }

  private schedule(): void {
    if (this.scheduled || this.inflight !== undefined) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.writeCurrent();
    });
  }

  private writeCurrent(): void {
    const batch = this.current;
    if (batch === undefined || this.inflight !== undefined) return;
    this.current = undefined;
    for (const hook of this.sealHooks) hook(batch.ops);
    if (batch.ops.length === 0) {
      // Only a seal was asked for (see onSeal) and nothing came of it.
      batch.resolve();
      return;
    }
    const settle = (): void => {
      this.inflight = undefined;
      if (this.current !== undefined) this.schedule();
    };
    this.inflight = batch;
    this.db.batch(batch.ops, { sync: this.sync }).then(
      () => {
        settle();
        batch.resolve();
      },
      (err: unknown) => {
        settle();
        this.onError(err);
        batch.reject(err);
      },
    );
  }
}

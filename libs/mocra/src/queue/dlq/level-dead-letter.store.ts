import { MsgpackQueueCodec } from '../codec/msgpack.codec.js';
import { DURABLE_SUBLEVELS } from '../durable/durable-layout.js';
import { openLevelDb } from '../durable/open-level-db.js';
import {
  delOp,
  LevelWriteBatcher,
  putOp,
  type LevelDb,
  type LevelSublevel,
  type LevelWriteOp,
} from '../durable/level-write-batcher.js';
import { decodeSeq, encodeSeq } from '../durable/message-key.js';
import type { DeadLetterEnvelope } from '../envelope.js';
import type {
  DeadLetterFilter,
  DeadLetterListQuery,
  DeadLetterPage,
  DeadLetterStore,
} from './dead-letter.store.js';

export interface LevelDeadLetterStoreOptions {
  /** fsync every write (default false: survives a killed process, not a power loss). */
  sync?: boolean;
  /** Records that cannot be read (skipped by list). Default: console.error. */
  onError?: (err: unknown, context: string) => void;
}

/** Key: failedAtMs (8 bytes BE), arrival sequence (8 bytes BE), id (UTF-8). Reverse key order = newest first. */
const ORDER_BYTES = 16;

function matches(dl: DeadLetterEnvelope, filter: DeadLetterFilter): boolean {
  return (
    (filter.route === undefined || dl.sourceRoute === filter.route) &&
    (filter.module === undefined || dl.module === filter.module) &&
    (filter.reason === undefined || dl.reason.includes(filter.reason))
  );
}

function checkCount(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
    throw new RangeError(`dead letter list ${name} must be an integer >= 0, got ${value}`);
  }
}

function timeOf(ms: number): number {
  return Number.isFinite(ms) ? Math.min(Math.max(Math.floor(ms), 0), Number.MAX_SAFE_INTEGER) : 0;
}

/**
 * Dead letters on classic-level, kept across restarts. Keys sort by failure time then arrival, so listing walks
 * the sublevel backwards and stops decoding once the page is full (the total still counts every match). An
 * in-memory index id → key (ids only, no payloads) makes add, remove and count answer without reading the disk,
 * and lets a durable queue sharing the database put a dead letter and delete its queue record in one batch.
 */
export class LevelDeadLetterStore implements DeadLetterStore {
  private readonly codec = new MsgpackQueueCodec();
  private readonly onError: (err: unknown, context: string) => void;
  private seq = 0;

  private constructor(
    private readonly records: LevelSublevel,
    readonly writer: LevelWriteBatcher,
    private readonly index: Map<string, Buffer>,
    private readonly ownDb: LevelDb | undefined,
    options: LevelDeadLetterStoreOptions,
  ) {
    this.onError =
      options.onError ?? ((err, context) => console.error(`[mocra] dead letter store: ${context}:`, err));
    for (const key of index.values()) this.seq = Math.max(this.seq, decodeSeq(key, 8) + 1);
  }

  /** A store in its own database at `location` (created if missing); `close()` closes it. */
  static async open(
    location: string,
    options: LevelDeadLetterStoreOptions = {},
  ): Promise<LevelDeadLetterStore> {
    const onError =
      options.onError ?? ((err: unknown, context: string) => console.error(`[mocra] ${context}:`, err));
    const db = await openLevelDb(location, 'dead letter store', (line) => onError(new Error(line), 'repair'));
    try {
      const writer = new LevelWriteBatcher(db, { sync: options.sync });
      const records = db.sublevel<Buffer, Buffer>(DURABLE_SUBLEVELS.dlq, {
        keyEncoding: 'buffer',
        valueEncoding: 'buffer',
      });
      return new LevelDeadLetterStore(records, writer, await loadIndex(records), db, options);
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  /** A store in a sublevel of a database someone else owns, writing through that database's batcher. */
  static async attach(
    records: LevelSublevel,
    writer: LevelWriteBatcher,
    options: LevelDeadLetterStoreOptions = {},
  ): Promise<LevelDeadLetterStore> {
    return new LevelDeadLetterStore(records, writer, await loadIndex(records), undefined, options);
  }

  /** Whether a dead letter with this id exists (including writes not yet committed). */
  has(id: string): boolean {
    return this.index.has(id);
  }

  add(dl: DeadLetterEnvelope): Promise<void> {
    try {
      return this.addNow(dl);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Queues the write synchronously, so it joins the batch of the caller's turn; throws (and queues nothing) if the
   * dead letter cannot be encoded.
   */
  addNow(dl: DeadLetterEnvelope): Promise<void> {
    const value = this.codec.encode(dl);
    const key = Buffer.allocUnsafe(ORDER_BYTES + Buffer.byteLength(dl.id, 'utf8'));
    encodeSeq(timeOf(dl.failedAtMs), key, 0);
    encodeSeq(this.seq++, key, 8);
    key.write(dl.id, ORDER_BYTES, 'utf8');
    const ops: LevelWriteOp[] = [];
    const previous = this.index.get(dl.id);
    if (previous !== undefined) ops.push(delOp(this.records, previous));
    ops.push(putOp(this.records, key, Buffer.from(value.buffer, value.byteOffset, value.byteLength)));
    this.index.set(dl.id, key);
    return this.writer.write(...ops);
  }

  async get(id: string): Promise<DeadLetterEnvelope | undefined> {
    const key = this.index.get(id);
    if (key === undefined) return undefined;
    await this.writer.flush();
    const value = await this.records.get(key);
    // Removed while we waited for the write queue.
    if (value === undefined) return undefined;
    return this.decode(value, id);
  }

  async list(query: DeadLetterListQuery = {}): Promise<DeadLetterPage> {
    checkCount('offset', query.offset);
    checkCount('limit', query.limit);
    const offset = query.offset ?? 0;
    const end = query.limit === undefined ? Infinity : offset + query.limit;
    const unfiltered = query.route === undefined && query.module === undefined && query.reason === undefined;
    await this.writer.flush();
    const items: DeadLetterEnvelope[] = [];
    if (unfiltered) {
      // Every record matches: the index gives the total, and only the page is read.
      if (end > offset) {
        let position = 0;
        const limit = end === Infinity ? -1 : end;
        for await (const [key, value] of this.records.iterator({ reverse: true, limit })) {
          if (position++ < offset) continue;
          const dl = this.tryDecode(value, key);
          if (dl !== undefined) items.push(dl);
        }
      }
      return { items, total: this.index.size };
    }
    let total = 0;
    for await (const [key, value] of this.records.iterator({ reverse: true })) {
      const dl = this.tryDecode(value, key);
      if (dl === undefined || !matches(dl, query)) continue;
      if (total >= offset && total < end) items.push(dl);
      total++;
    }
    return { items, total };
  }

  /** Queues the delete synchronously (see add). */
  remove(id: string): Promise<boolean> {
    const key = this.index.get(id);
    if (key === undefined) return Promise.resolve(false);
    this.index.delete(id);
    return this.writer.write(delOp(this.records, key)).then(() => true);
  }

  async purge(filter: DeadLetterFilter = {}): Promise<number> {
    const all = filter.route === undefined && filter.module === undefined && filter.reason === undefined;
    const doomed: Array<[string, Buffer]> = [];
    if (all) {
      doomed.push(...this.index);
    } else {
      await this.writer.flush();
      for await (const [key, value] of this.records.iterator()) {
        const dl = this.tryDecode(value, key);
        if (dl !== undefined && matches(dl, filter)) doomed.push([dl.id, key]);
      }
    }
    const ops: LevelWriteOp[] = [];
    for (const [id, key] of doomed) {
      // Skip records replaced or removed while we were reading.
      if (this.index.get(id)?.equals(key) !== true) continue;
      this.index.delete(id);
      ops.push(delOp(this.records, key));
    }
    if (ops.length > 0) await this.writer.write(...ops);
    return ops.length;
  }

  async count(): Promise<number> {
    return this.index.size;
  }

  /** Writes what is queued; closes the database if the store opened it. */
  async close(): Promise<void> {
    if (this.ownDb === undefined) return this.writer.flush();
    await this.writer.close();
    await this.ownDb.close();
  }

  private tryDecode(value: Buffer, key: Buffer): DeadLetterEnvelope | undefined {
    const id = key.toString('utf8', ORDER_BYTES);
    try {
      return this.decode(value, id);
    } catch (err) {
      this.onError(err, `dead letter '${id}' skipped`);
      return undefined;
    }
  }

  private decode(value: Buffer, id: string): DeadLetterEnvelope {
    try {
      const dl = this.codec.decode(value);
      if (dl.kind !== 'dead_letter') throw new Error(`holds a '${dl.kind}' envelope`);
      return dl;
    } catch (err) {
      throw new Error(`dead letter '${id}' is unreadable: ${(err as Error).message}`, { cause: err });
    }
  }
}

async function loadIndex(records: LevelSublevel): Promise<Map<string, Buffer>> {
  const index = new Map<string, Buffer>();
  for await (const key of records.keys()) {
    if (key.length <= ORDER_BYTES) continue;
    const id = key.toString('utf8', ORDER_BYTES);
    // Two keys for one id only if a replace was cut short by a crash between batches, which one batch prevents;
    // keep the newer anyway.
    index.set(id, key);
  }
  return index;
}

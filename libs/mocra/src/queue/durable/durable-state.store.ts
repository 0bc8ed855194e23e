import { Packr, type Options } from 'msgpackr';
import {
  delOp,
  putOp,
  type LevelSublevel,
  type LevelWriteBatcher,
  type LevelWriteOp,
} from './level-write-batcher.js';

/** `skipValues` exists in msgpackr 2 but is missing from its type declarations. */
type PackrOptions = Options & { skipValues?: unknown[] };

export type DurableStateOp = { type: 'put'; key: string; value: unknown } | { type: 'del'; key: string };

const SET_SEPARATOR = 0x00;

/**
 * Small durable key-value state for the engine (run state, counters) and append-only sets (seen-set fingerprints),
 * in the durable queue's database.
 *
 * Atomicity: every write goes through the queue's group commit. Writes issued in the same event-loop turn (a
 * synchronous block and the microtasks it spawns) are committed by one LevelDB batch, all or nothing, together
 * with the queue writes of that turn: a parse handler that synchronously appends its new fingerprints, publishes
 * the requests they stand for and returns (its ack) commits all three at once. Batches commit in issue order.
 * Each returned promise resolves once its batch is committed; reads wait for queued writes first, so a read
 * sees every write issued before it.
 */
export class DurableStateStore {
  private readonly packr: Packr;
  private readonly setPrefixes = new Map<string, Buffer>();

  constructor(
    private readonly kv: LevelSublevel,
    private readonly sets: LevelSublevel,
    private readonly writer: LevelWriteBatcher,
  ) {
    const options: PackrOptions = {
      useRecords: false,
      mapsAsObjects: true,
      copyBuffers: true,
      skipValues: [undefined],
      int64AsType: 'number',
    };
    this.packr = new Packr(options);
  }

  async get(key: string): Promise<unknown> {
    await this.writer.flush();
    const value = await this.kv.get(Buffer.from(key, 'utf8'));
    if (value === undefined) return undefined;
    try {
      // A plain Uint8Array view makes msgpackr hand out bytes as Uint8Array, as they were put, not as Buffer.
      return this.packr.unpack(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    } catch (err) {
      throw new Error(
        `durable state '${key}': stored value is not valid MessagePack: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  put(key: string, value: unknown): Promise<void> {
    return this.batch([{ type: 'put', key, value }]);
  }

  del(key: string): Promise<void> {
    return this.batch([{ type: 'del', key }]);
  }

  /** Applies `ops` atomically (and with whatever else is written in this turn). */
  batch(ops: readonly DurableStateOp[]): Promise<void> {
    const writes: LevelWriteOp[] = [];
    try {
      for (const op of ops) {
        const key = Buffer.from(op.key, 'utf8');
        if (op.type === 'del') writes.push(delOp(this.kv, key));
        else writes.push(putOp(this.kv, key, this.encode(op.key, op.value)));
      }
    } catch (err) {
      // Nothing of a batch with an unencodable value is written.
      return Promise.reject(err);
    }
    return this.writer.write(...writes);
  }

  /** Adds `member` (e.g. an 8-byte fingerprint) to set `name`; adding a member twice is harmless. */
  appendToSet(name: string, member: Uint8Array): Promise<void> {
    let prefix: Buffer;
    try {
      prefix = this.setPrefix(name);
    } catch (err) {
      return Promise.reject(err);
    }
    const key = Buffer.allocUnsafe(prefix.length + member.byteLength);
    prefix.copy(key, 0);
    key.set(member, prefix.length);
    return this.writer.write(putOp(this.sets, key, EMPTY));
  }

  /** Every member of set `name`, in byte order. */
  async loadSet(name: string): Promise<Uint8Array[]> {
    const members: Uint8Array[] = [];
    for await (const member of this.iterateSet(name)) members.push(member);
    return members;
  }

  /** Streams the members of set `name` in byte order, for sets too large to hold twice. */
  async *iterateSet(name: string): AsyncGenerator<Uint8Array> {
    const prefix = this.setPrefix(name);
    await this.writer.flush();
    const start = prefix.length;
    for await (const key of this.sets.keys(this.setRange(prefix))) {
      // A copy: a view would pin whatever memory the iterator's key shares.
      yield new Uint8Array(key.subarray(start));
    }
  }

  /** Deletes set `name` (a finished run's seen-set) and returns how many members it had. */
  async clearSet(name: string): Promise<number> {
    const prefix = this.setPrefix(name);
    await this.writer.flush();
    const ops: LevelWriteOp[] = [];
    for await (const key of this.sets.keys(this.setRange(prefix))) {
      ops.push(delOp(this.sets, key));
    }
    if (ops.length > 0) await this.writer.write(...ops);
    return ops.length;
  }

  private setRange(prefix: Buffer): { gte: Buffer; lt: Buffer } {
    const upper = Buffer.from(prefix);
    upper[upper.length - 1] = SET_SEPARATOR + 1;
    return { gte: prefix, lt: upper };
  }

  private setPrefix(name: string): Buffer {
    let prefix = this.setPrefixes.get(name);
    if (prefix === undefined) {
      if (name === '' || name.includes('\u0000')) {
        throw new Error(`durable set name ${JSON.stringify(name)}: must be non-empty without NUL characters`);
      }
      prefix = Buffer.concat([Buffer.from(name, 'utf8'), Buffer.of(SET_SEPARATOR)]);
      this.setPrefixes.set(name, prefix);
    }
    return prefix;
  }

  private encode(key: string, value: unknown): Buffer {
    try {
      return this.packr.pack(value);
    } catch (err) {
      throw new Error(`durable state '${key}': value cannot be encoded: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
}

const EMPTY = Buffer.alloc(0);

import type { CacheWrite } from './coordination.commands.js';
import { CommandRefusedError } from './coordination.errors.js';
import { MAX_KEY_BYTES, MAX_TIME_MS, MAX_VALUE_BYTES } from './coordination.limits.js';
import { assertPacked, packCoordination, sameBytes, unpackCoordination } from './coordination.msgpack.js';
import { ExpiringTable, type ExpiryQueue } from './expiry-queue.js';
import type { FieldValue } from './field-reader.js';
import { expiryFromRow, expiryToRow, readSortedRows, sortedRows } from './snapshot-rows.js';

interface CacheEntry {
  /** MessagePack bytes of the value. */
  value: Uint8Array;
  /** Replicated-clock epoch ms; Infinity = never. */
  expiresAt: number;
}

const expiryOf = (now: number, ttlMs: number | undefined): number =>
  ttlMs === undefined ? Infinity : now + ttlMs;

/**
 * The replicated cache: values kept as MessagePack bytes, expiry decided by the replicated clock `now` passed in.
 * An entry past its expiry is absent to every operation even before the purge drops it.
 */
export class CacheTable {
  private readonly entries = new Map<string, CacheEntry>();

  constructor(private readonly expiry: ExpiryQueue) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string, now: number): Uint8Array | undefined {
    return this.live(key, now)?.value;
  }

  expiresAt(key: string): number | undefined {
    return this.entries.get(key)?.expiresAt;
  }

  set(key: string, value: Uint8Array, ttlMs: number | undefined, now: number): null {
    this.put(key, value, expiryOf(now, ttlMs));
    return null;
  }

  del(key: string, now: number): boolean {
    const existed = this.live(key, now) !== undefined;
    this.entries.delete(key);
    return existed;
  }

  setIfAbsent(key: string, value: Uint8Array, ttlMs: number | undefined, now: number): boolean {
    if (this.live(key, now) !== undefined) return false;
    this.put(key, value, expiryOf(now, ttlMs));
    return true;
  }

  /** The TTL applies only when the call creates the entry, so a counter window is not stretched by increments. */
  incr(key: string, by: number, ttlMs: number | undefined, now: number): number {
    const entry = this.live(key, now);
    if (entry === undefined) {
      this.put(key, packCoordination(by), expiryOf(now, ttlMs));
      return by;
    }
    const current = unpackCoordination(entry.value, `cache[${JSON.stringify(key)}]`);
    if (typeof current !== 'number') {
      throw new CommandRefusedError(`key ${JSON.stringify(key)} holds a non-number value`);
    }
    const next = current + by;
    if (!Number.isFinite(next)) throw new CommandRefusedError(`key ${JSON.stringify(key)} would overflow`);
    this.put(key, packCoordination(next), entry.expiresAt);
    return next;
  }

  /** Compares encoded bytes (null = absent) and writes `value` (null = delete) when they match. */
  compareAndSet(
    key: string,
    expected: Uint8Array | null,
    value: Uint8Array | null,
    ttlMs: number | undefined,
    now: number,
  ): boolean {
    const current = this.live(key, now)?.value;
    const matches =
      expected === null ? current === undefined : current !== undefined && sameBytes(current, expected);
    if (!matches) return false;
    if (value === null) this.entries.delete(key);
    else this.put(key, value, expiryOf(now, ttlMs));
    return true;
  }

  /** Applies every write in order, or none: a refused write restores the entries the earlier ones touched. */
  batch(writes: readonly CacheWrite[], now: number): Array<null | boolean | number> {
    const undo = new Map<string, CacheEntry | undefined>();
    const results: Array<null | boolean | number> = [];
    try {
      for (const write of writes) {
        if (!undo.has(write.key)) undo.set(write.key, this.entries.get(write.key));
        if (write.op === 'set') results.push(this.set(write.key, write.value, write.ttlMs, now));
        else if (write.op === 'del') results.push(this.del(write.key, now));
        else results.push(this.incr(write.key, write.by, write.ttlMs, now));
      }
    } catch (error) {
      for (const [key, entry] of undo) {
        // the expiry queue may keep items pushed meanwhile: they are stale, and skipped by the purge
        if (entry === undefined) this.entries.delete(key);
        else this.entries.set(key, entry);
      }
      throw error;
    }
    return results;
  }

  purge(key: string): void {
    this.entries.delete(key);
  }

  queueAll(): void {
    for (const [key, e] of this.entries) this.expiry.push(e.expiresAt, ExpiringTable.Cache, key);
  }

  snapshotRows(): unknown[] {
    return sortedRows(this.entries, (key, e) => [key, e.value, expiryToRow(e.expiresAt)]);
  }

  restoreRows(table: FieldValue): void {
    for (const { key, cells } of readSortedRows(table, 3, MAX_KEY_BYTES)) {
      const value = assertPacked(cells[0]!.bytes(MAX_VALUE_BYTES), cells[0]!.path);
      this.put(key, value, expiryFromRow(cells[1]!.int(0, MAX_TIME_MS)));
    }
  }

  private put(key: string, value: Uint8Array, expiresAt: number): void {
    const previous = this.entries.get(key);
    this.entries.set(key, { value, expiresAt });
    // an unchanged expiry is already queued: a hot counter must not grow the queue by one item per increment
    if (previous?.expiresAt !== expiresAt) this.expiry.push(expiresAt, ExpiringTable.Cache, key);
  }

  private live(key: string, now: number): CacheEntry | undefined {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.expiresAt > now ? entry : undefined;
  }
}

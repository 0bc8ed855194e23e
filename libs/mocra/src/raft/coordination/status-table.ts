import type { StatusRecord } from './coordination.commands.js';
import { MAX_KEY_BYTES, MAX_TIME_MS, MAX_VALUE_BYTES } from './coordination.limits.js';
import { ExpiringTable, type ExpiryQueue } from './expiry-queue.js';
import { assertPacked } from './coordination.msgpack.js';
import type { FieldValue } from './field-reader.js';
import { expiryFromRow, expiryToRow, readSortedRows, sortedRows } from './snapshot-rows.js';

/**
 * Module and run status records under hierarchical keys (`run/<module>/<runId>`), listed by prefix. A record may
 * carry a TTL so finished runs age out of the snapshot.
 */
export class StatusTable {
  private readonly records = new Map<string, StatusRecord>();

  constructor(private readonly expiry: ExpiryQueue) {}

  get size(): number {
    return this.records.size;
  }

  expiresAt(key: string): number | undefined {
    return this.records.get(key)?.expiresAt;
  }

  get(key: string, now: number): StatusRecord | undefined {
    const record = this.records.get(key);
    return record !== undefined && record.expiresAt > now ? record : undefined;
  }

  /** Live records whose key starts with `prefix`, in key order, at most `limit`. */
  list(prefix: string, now: number, limit: number): Array<{ key: string } & StatusRecord> {
    const keys = [...this.records.keys()].filter((k) => k.startsWith(prefix)).sort();
    const out: Array<{ key: string } & StatusRecord> = [];
    for (const key of keys) {
      if (out.length >= limit) break;
      const record = this.get(key, now);
      if (record !== undefined) out.push({ key, ...record });
    }
    return out;
  }

  put(key: string, value: Uint8Array, ttlMs: number | undefined, now: number): null {
    const expiresAt = ttlMs === undefined ? Infinity : now + ttlMs;
    const previous = this.records.get(key);
    this.records.set(key, { value, updatedAt: now, expiresAt });
    if (previous?.expiresAt !== expiresAt) this.expiry.push(expiresAt, ExpiringTable.Status, key);
    return null;
  }

  del(key: string, now: number): boolean {
    const existed = this.get(key, now) !== undefined;
    this.records.delete(key);
    return existed;
  }

  purge(key: string): void {
    this.records.delete(key);
  }

  queueAll(): void {
    for (const [key, r] of this.records) this.expiry.push(r.expiresAt, ExpiringTable.Status, key);
  }

  snapshotRows(): unknown[] {
    return sortedRows(this.records, (key, r) => [key, r.value, r.updatedAt, expiryToRow(r.expiresAt)]);
  }

  restoreRows(table: FieldValue): void {
    for (const { key, cells } of readSortedRows(table, 4, MAX_KEY_BYTES)) {
      const expiresAt = expiryFromRow(cells[2]!.int(0, MAX_TIME_MS));
      this.records.set(key, {
        value: assertPacked(cells[0]!.bytes(MAX_VALUE_BYTES), cells[0]!.path),
        updatedAt: cells[1]!.int(0, MAX_TIME_MS),
        expiresAt,
      });
      this.expiry.push(expiresAt, ExpiringTable.Status, key);
    }
  }
}

import type { ConfigRecord } from './coordination.commands.js';
import { MAX_NAME_BYTES, MAX_TIME_MS, MAX_VALUE_BYTES } from './coordination.limits.js';
import { assertPacked } from './coordination.msgpack.js';
import type { FieldValue } from './field-reader.js';
import { readSortedRows, sortedRows } from './snapshot-rows.js';

/** Module configurations behind `/config/*`, each with the Raft index that last wrote it as its revision. */
export class ConfigStore {
  private readonly records = new Map<string, ConfigRecord>();

  get size(): number {
    return this.records.size;
  }

  get(name: string): ConfigRecord | undefined {
    return this.records.get(name);
  }

  list(): Array<{ name: string } & ConfigRecord> {
    return [...this.records.keys()].sort().map((name) => ({ name, ...this.records.get(name)! }));
  }

  put(name: string, value: Uint8Array, revision: number, now: number): number {
    this.records.set(name, { value, revision, updatedAt: now });
    return revision;
  }

  del(name: string): boolean {
    return this.records.delete(name);
  }

  snapshotRows(): unknown[] {
    return sortedRows(this.records, (name, r) => [name, r.value, r.revision, r.updatedAt]);
  }

  restoreRows(table: FieldValue): void {
    for (const { key, cells } of readSortedRows(table, 4, MAX_NAME_BYTES)) {
      this.records.set(key, {
        value: assertPacked(cells[0]!.bytes(MAX_VALUE_BYTES), cells[0]!.path),
        revision: cells[1]!.int(0, Number.MAX_SAFE_INTEGER),
        updatedAt: cells[2]!.int(0, MAX_TIME_MS),
      });
    }
  }
}

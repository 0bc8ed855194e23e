import { CoordinationDecodeError } from './coordination.errors.js';
import type { FieldValue } from './field-reader.js';

/** Rows of a table in key order, so equal states give equal snapshot bytes whatever order they were built in. */
export function sortedRows<V>(
  map: ReadonlyMap<string, V>,
  toRow: (key: string, value: V) => unknown[],
): unknown[] {
  return [...map.keys()].sort().map((key) => toRow(key, map.get(key)!));
}

/**
 * The rows of a snapshot table, each a tuple of `width` whose first item is the key; keys must be strictly
 * ascending (the canonical form `sortedRows` writes), which also rules out duplicates.
 */
export function readSortedRows(
  table: FieldValue,
  width: number,
  maxKeyBytes: number,
): Array<{ key: string; cells: FieldValue[] }> {
  const rows = table.array(Number.MAX_SAFE_INTEGER).map((row) => {
    const [first, ...cells] = row.tuple(width);
    return { key: first!.string(maxKeyBytes, 1), cells };
  });
  for (let i = 1; i < rows.length; i++) {
    if (!(rows[i - 1]!.key < rows[i]!.key)) {
      throw new CoordinationDecodeError(`${table.path}[${i}]`, 'keys are not strictly ascending');
    }
  }
  return rows;
}

/** Expiry instants are Infinity in memory and 0 in snapshots (MessagePack has no canonical infinity). */
export const expiryToRow = (expiresAt: number): number => (Number.isFinite(expiresAt) ? expiresAt : 0);
export const expiryFromRow = (cell: number): number => (cell === 0 ? Infinity : cell);

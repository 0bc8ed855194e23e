/** Which table a timed record lives in; the number also orders ties between tables in the purge. */
export const ExpiringTable = { Cache: 0, Lock: 1, Status: 2, RateBucket: 3 } as const;
export type ExpiringTable = (typeof ExpiringTable)[keyof typeof ExpiringTable];

interface Due {
  at: number;
  table: ExpiringTable;
  key: string;
}

function before(a: Due, b: Due): boolean {
  if (a.at !== b.at) return a.at < b.at;
  if (a.table !== b.table) return a.table < b.table;
  return a.key < b.key;
}

/**
 * Min-heap of (expiry, table, key) with lazy deletion: overwriting a record pushes its new expiry and leaves the
 * old item behind, which `popDue` skips because the record no longer expires at that instant. What gets purged is
 * therefore the first N live, expired records in (expiry, table, key) order, a function of the state alone: a
 * replica restored from a snapshot (a fresh heap) purges exactly what a replica with a long history purges.
 */
export class ExpiryQueue {
  private heap: Due[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(at: number, table: ExpiringTable, key: string): void {
    if (!Number.isFinite(at)) return;
    const heap = this.heap;
    heap.push({ at, table, key });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  /**
   * Removes and returns up to `limit` items due at or before `now` for which `isCurrent` says the record still
   * expires at that instant; stale items are dropped without counting.
   */
  popDue(
    now: number,
    limit: number,
    isCurrent: (table: ExpiringTable, key: string, at: number) => boolean,
  ): Array<{ table: ExpiringTable; key: string }> {
    const out: Array<{ table: ExpiringTable; key: string }> = [];
    while (out.length < limit && this.heap.length > 0 && this.heap[0]!.at <= now) {
      const top = this.pop();
      if (isCurrent(top.table, top.key, top.at)) out.push({ table: top.table, key: top.key });
    }
    return out;
  }

  clear(): void {
    this.heap = [];
  }

  private pop(): Due {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }
}

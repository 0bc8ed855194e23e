import type { DeadLetterEnvelope } from '../envelope.js';
import type {
  DeadLetterFilter,
  DeadLetterListQuery,
  DeadLetterPage,
  DeadLetterStore,
} from './dead-letter.store.js';

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

/**
 * Dead letters in process memory, lost on exit. Listing walks every record: the DLQ is an operator's tool, not a
 * hot path. Records are returned by reference; callers must not mutate them.
 */
export class MemoryDeadLetterStore implements DeadLetterStore {
  /** Insertion order = arrival order; listing walks it backwards for newest first. */
  private readonly records = new Map<string, DeadLetterEnvelope>();

  async add(dl: DeadLetterEnvelope): Promise<void> {
    // Delete first so a replaced record moves to the newest position.
    this.records.delete(dl.id);
    this.records.set(dl.id, dl);
  }

  async get(id: string): Promise<DeadLetterEnvelope | undefined> {
    return this.records.get(id);
  }

  async list(query: DeadLetterListQuery = {}): Promise<DeadLetterPage> {
    checkCount('offset', query.offset);
    checkCount('limit', query.limit);
    const matched = [...this.records.values()].filter((dl) => matches(dl, query)).reverse();
    // Stable, so records failing in the same millisecond keep arrival order (newest first).
    matched.sort((a, b) => b.failedAtMs - a.failedAtMs);
    const offset = query.offset ?? 0;
    const end = query.limit === undefined ? undefined : offset + query.limit;
    return { items: matched.slice(offset, end), total: matched.length };
  }

  async remove(id: string): Promise<boolean> {
    return this.records.delete(id);
  }

  async purge(filter: DeadLetterFilter = {}): Promise<number> {
    let removed = 0;
    for (const [id, dl] of this.records) {
      if (matches(dl, filter)) {
        this.records.delete(id);
        removed++;
      }
    }
    return removed;
  }

  async count(): Promise<number> {
    return this.records.size;
  }
}

import { CacheTable } from './cache-table.js';
import { ConfigStore } from './config-store.js';
import { CronClaims } from './cron-claims.js';
import { ExpiringTable, ExpiryQueue } from './expiry-queue.js';
import { LockTable } from './lock-table.js';
import { NodeRegistry } from './node-registry.js';
import { PauseFlag } from './pause-flag.js';
import { RateBuckets } from './rate-buckets.js';
import { StatusTable } from './status-table.js';

/** Queue items beyond live timed records (stale ones) tolerated before the queue is rebuilt from the tables. */
const STALE_QUEUE_SLACK = 4096;

/** Everything the coordination state machine replicates, plus the expiry queue over its timed records. */
export class CoordinationState {
  /** The replicated clock: the largest proposer clock applied so far (epoch ms). */
  clock = 0;
  readonly expiry = new ExpiryQueue();
  readonly cache = new CacheTable(this.expiry);
  readonly locks = new LockTable(this.expiry);
  readonly buckets = new RateBuckets(this.expiry);
  readonly status = new StatusTable(this.expiry);
  readonly config = new ConfigStore();
  readonly pause = new PauseFlag();
  readonly nodes = new NodeRegistry();
  readonly cron = new CronClaims();

  /**
   * Drops up to `limit` records that expired by the clock, earliest first. Bounded per command so one entry never
   * does unbounded work; lookups treat expired records as absent meanwhile, so results do not depend on the purge.
   */
  purgeExpired(limit: number): number {
    const due = this.expiry.popDue(this.clock, limit, (table, key, at) => this.expiresAt(table, key) === at);
    for (const { table, key } of due) {
      if (table === ExpiringTable.Cache) this.cache.purge(key);
      else if (table === ExpiringTable.Lock) this.locks.purge(key);
      else if (table === ExpiringTable.Status) this.status.purge(key);
      else this.buckets.purge(key);
    }
    const timed = this.cache.size + this.locks.size + this.status.size + this.buckets.size;
    if (this.expiry.size > 2 * timed + STALE_QUEUE_SLACK) this.rebuildExpiry();
    return due.length;
  }

  private expiresAt(table: ExpiringTable, key: string): number | undefined {
    if (table === ExpiringTable.Cache) return this.cache.expiresAt(key);
    if (table === ExpiringTable.Lock) return this.locks.expiresAt(key);
    if (table === ExpiringTable.Status) return this.status.expiresAt(key);
    return this.buckets.expiresAt(key);
  }

  /** Drops stale queue items; the purge order depends only on the records, so this changes no outcome. */
  private rebuildExpiry(): void {
    this.expiry.clear();
    this.cache.queueAll();
    this.locks.queueAll();
    this.status.queueAll();
    this.buckets.queueAll();
  }
}

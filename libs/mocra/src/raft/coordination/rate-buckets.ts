import type { RateGrant } from './coordination.commands.js';
import { CoordinationDecodeError } from './coordination.errors.js';
import {
  MAX_BURST,
  MAX_KEY_BYTES,
  MAX_NAME_BYTES,
  MAX_RATE_PER_SEC,
  MAX_TIME_MS,
  RATE_HOLDER_WINDOW_MS,
} from './coordination.limits.js';
import { ExpiringTable, type ExpiryQueue } from './expiry-queue.js';
import type { FieldValue } from './field-reader.js';
import { readSortedRows, sortedRows } from './snapshot-rows.js';

interface Bucket {
  /** GCRA theoretical arrival time: the slot after the last one granted sits at tat - (burst - 1) x interval. */
  tat: number;
  ratePerSec: number;
  burst: number;
  /** Holder → replicated clock of its last grant. */
  holders: Map<string, number>;
}

/** Guards the slot count against float rounding ((b - 1) x T / T landing just below b - 1). */
const EPSILON = 1e-9;

export interface GrantRequest {
  key: string;
  holder: string;
  want: number;
  ratePerSec: number;
  burst: number;
  horizonMs: number;
}

/**
 * Cluster-wide rate limits as GCRA on the replicated clock. A grant hands out a batch of consecutive slots spaced
 * one interval apart, taken from the same schedule every holder draws from, so the slots of all holders together
 * never number more than rate x elapsed + burst by any instant. A grant books slots at most `horizonMs` ahead of
 * the clock: a holder cannot reserve the far future and starve the others.
 */
export class RateBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly expiry: ExpiryQueue) {}

  get size(): number {
    return this.buckets.size;
  }

  expiresAt(key: string): number | undefined {
    const bucket = this.buckets.get(key);
    return bucket === undefined ? undefined : idleAt(bucket);
  }

  grant(req: GrantRequest, now: number): RateGrant {
    const existing = this.buckets.get(req.key);
    const idleBefore = existing === undefined ? undefined : idleAt(existing);
    const bucket = existing ?? {
      tat: now,
      ratePerSec: req.ratePerSec,
      burst: req.burst,
      holders: new Map<string, number>(),
    };
    // the latest caller's limit wins, so a config change reaches the whole cluster with the next grant
    bucket.ratePerSec = req.ratePerSec;
    bucket.burst = req.burst;
    const interval = 1000 / req.ratePerSec;
    const from = Math.max(bucket.tat, now) - (req.burst - 1) * interval;
    const bookable =
      now + req.horizonMs >= from ? Math.floor((now + req.horizonMs - from) / interval + EPSILON) + 1 : 0;
    const granted = Math.min(req.want, bookable);

    for (const [holder, seen] of bucket.holders) {
      if (seen + RATE_HOLDER_WINDOW_MS <= now) bucket.holders.delete(holder);
    }
    if (granted > 0) {
      bucket.tat = Math.max(bucket.tat, now) + granted * interval;
      bucket.holders.set(req.holder, now);
    }
    const holders = bucket.holders.size + (bucket.holders.has(req.holder) ? 0 : 1);
    if (bucket.holders.size > 0 || bucket.tat > now) this.store(req.key, bucket, idleBefore);
    else this.buckets.delete(req.key);
    return {
      granted,
      from,
      until: from + granted * interval,
      intervalMs: interval,
      holders,
      retryAt: granted > 0 ? now : from - req.horizonMs,
    };
  }

  purge(key: string): void {
    this.buckets.delete(key);
  }

  queueAll(): void {
    for (const [key, b] of this.buckets) this.expiry.push(idleAt(b), ExpiringTable.RateBucket, key);
  }

  snapshotRows(): unknown[] {
    return sortedRows(this.buckets, (key, b) => [
      key,
      b.tat,
      b.ratePerSec,
      b.burst,
      sortedRows(b.holders, (holder, seen) => [holder, seen]),
    ]);
  }

  restoreRows(table: FieldValue): void {
    for (const { key, cells } of readSortedRows(table, 5, MAX_KEY_BYTES)) {
      const ratePerSec = cells[1]!.number(0, MAX_RATE_PER_SEC);
      if (ratePerSec === 0) throw new CoordinationDecodeError(cells[1]!.path, 'must be greater than 0');
      const holders = new Map<string, number>();
      for (const row of readSortedRows(cells[3]!, 2, MAX_NAME_BYTES)) {
        holders.set(row.key, row.cells[0]!.int(0, MAX_TIME_MS));
      }
      const tat = cells[0]!.number(-MAX_TIME_MS, MAX_TIME_MS);
      this.store(key, { tat, ratePerSec, burst: cells[2]!.int(1, MAX_BURST), holders }, undefined);
    }
  }

  /** `idleBefore`: the idle instant already queued for this key (unchanged = no new queue item). */
  private store(key: string, bucket: Bucket, idleBefore: number | undefined): void {
    this.buckets.set(key, bucket);
    const at = idleAt(bucket);
    if (at !== idleBefore) this.expiry.push(at, ExpiringTable.RateBucket, key);
  }
}

/**
 * When the bucket holds nothing a fresh one would not: its schedule has caught up with the clock and no holder is
 * still counted as active.
 */
function idleAt(bucket: Bucket): number {
  let at = bucket.tat;
  for (const seen of bucket.holders.values()) at = Math.max(at, seen + RATE_HOLDER_WINDOW_MS);
  return at;
}

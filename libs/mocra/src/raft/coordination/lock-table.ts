import type { LockGrant, LockState } from './coordination.commands.js';
import { CoordinationDecodeError } from './coordination.errors.js';
import { MAX_NAME_BYTES, MAX_TIME_MS } from './coordination.limits.js';
import { ExpiringTable, type ExpiryQueue } from './expiry-queue.js';
import type { FieldValue } from './field-reader.js';
import { readSortedRows, sortedRows } from './snapshot-rows.js';

type Lease = LockState;

const NOBODY: LockGrant = { granted: false, token: 0, holder: '', expiresAt: 0 };

/**
 * Leases with fencing tokens. Tokens come from one counter shared by every lock name: strictly increasing per
 * name as required, never reused (the counter is in the snapshot), and an expired lease can be purged entirely
 * without losing what its next token must exceed.
 */
export class LockTable {
  private readonly leases = new Map<string, Lease>();
  private lastToken = 0;

  constructor(private readonly expiry: ExpiryQueue) {}

  get size(): number {
    return this.leases.size;
  }

  get fencingCounter(): number {
    return this.lastToken;
  }

  /** The live lease on `name`. */
  get(name: string, now: number): LockState | undefined {
    const lease = this.live(name, now);
    return lease === undefined ? undefined : { ...lease };
  }

  expiresAt(name: string): number | undefined {
    return this.leases.get(name)?.expiresAt;
  }

  /**
   * Grants a free or expired lock with a new token. The live holder asking again keeps its token and extends its
   * lease, so retrying an acquire whose result was lost is harmless.
   */
  acquire(name: string, holder: string, leaseMs: number, now: number): LockGrant {
    const lease = this.live(name, now);
    if (lease !== undefined && lease.holder !== holder) return { granted: false, ...lease };
    const token = lease?.token ?? ++this.lastToken;
    return this.grant(name, { holder, token, expiresAt: now + leaseMs });
  }

  /** Extends a live lease held by `holder` with `token`; a lapsed lease is lost, not revived. */
  renew(name: string, holder: string, token: number, leaseMs: number, now: number): LockGrant {
    const lease = this.live(name, now);
    if (lease === undefined || lease.holder !== holder || lease.token !== token) {
      return lease === undefined ? NOBODY : { granted: false, ...lease };
    }
    return this.grant(name, { holder, token, expiresAt: now + leaseMs });
  }

  /** True when `holder` held the live lease with `token` and gave it up. */
  release(name: string, holder: string, token: number, now: number): boolean {
    const lease = this.leases.get(name);
    if (lease === undefined || lease.holder !== holder || lease.token !== token) return false;
    this.leases.delete(name);
    return lease.expiresAt > now;
  }

  purge(name: string): void {
    this.leases.delete(name);
  }

  queueAll(): void {
    for (const [name, l] of this.leases) this.expiry.push(l.expiresAt, ExpiringTable.Lock, name);
  }

  snapshotRows(): unknown[] {
    return sortedRows(this.leases, (name, l) => [name, l.holder, l.token, l.expiresAt]);
  }

  restore(lastToken: FieldValue, table: FieldValue): void {
    this.lastToken = lastToken.int(0, Number.MAX_SAFE_INTEGER);
    for (const { key, cells } of readSortedRows(table, 4, MAX_NAME_BYTES)) {
      const token = cells[1]!.int(1, Number.MAX_SAFE_INTEGER);
      if (token > this.lastToken) {
        throw new CoordinationDecodeError(cells[1]!.path, `token ${token} exceeds the fencing counter`);
      }
      this.grant(key, {
        holder: cells[0]!.string(MAX_NAME_BYTES, 1),
        token,
        expiresAt: cells[2]!.int(0, MAX_TIME_MS),
      });
    }
  }

  private grant(name: string, lease: Lease): LockGrant {
    const previous = this.leases.get(name);
    this.leases.set(name, lease);
    if (previous?.expiresAt !== lease.expiresAt) this.expiry.push(lease.expiresAt, ExpiringTable.Lock, name);
    return { granted: true, ...lease };
  }

  private live(name: string, now: number): Lease | undefined {
    const lease = this.leases.get(name);
    return lease !== undefined && lease.expiresAt > now ? lease : undefined;
  }
}

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RateLimit, RateLimiter, SentSignal } from '../../downloader/rate-limiter.js';
import type { RateGrant } from './coordination.commands.js';
import type { CoordinationClient } from './coordination-client.js';
import { RateGrantUnavailableError } from './coordination.errors.js';

export interface RaftRateLimiterOptions {
  /** This process's name in the buckets; unique per process. Default: a random UUID. */
  holder?: string;
  /** Slots the cluster may send back to back on a key after an idle spell. Default 1 (strict spacing). */
  burst?: number;
  /** Length of a batch in time at the cluster's rate, before dividing among holders. Default 200 ms. */
  batchWindowMs?: number;
  /** How far ahead of the replicated clock one grant may book. Default 1000 ms. */
  horizonMs?: number;
  /**
   * Share of the interval a send may follow this process's previous send on the key sooner than one interval
   * (to catch up after a late timer). Default 0.5.
   */
  catchUp?: number;
  /** Longest time slots stay held without the sent signal. Default 1000 ms. */
  maxHoldMs?: number;
  /** How long to keep asking for a grant (no leader, say) before failing the acquisition. Default 15,000 ms. */
  grantTimeoutMs?: number;
}

/** Granted slots left unused this long (the process had no demand) are dropped rather than spent in a burst. */
const STALE_SLOT_MS = 250;
const NOTHING_HELD: SentSignal = () => undefined;

/** Consecutive granted slots: `left` of them, the next at `next`, `interval` apart. */
interface SlotRun {
  next: number;
  interval: number;
  left: number;
  /** Local clock when the grant arrived: slots dated before it became usable only then. */
  receivedAt: number;
}

/** One key in this process: its granted slots, the grant in flight, and a FIFO of acquirers holding it in turn. */
class KeySlots {
  readonly runs: SlotRun[] = [];
  fetching: Promise<RateGrant> | undefined;
  holders = 1;
  lastSent = -Infinity;
  lastUsed = 0;
  held = false;
  private readonly waiters: Array<() => void> = [];

  get idle(): boolean {
    return !this.held && this.waiters.length === 0;
  }

  get remaining(): number {
    let n = 0;
    for (const run of this.runs) n += run.left;
    return n;
  }

  /** The next usable slot's time, after dropping slots that went unused for too long. */
  peek(now: number): number | undefined {
    const staleBefore = now - STALE_SLOT_MS;
    while (this.runs.length > 0) {
      const run = this.runs[0]!;
      if (run.receivedAt < staleBefore && run.next < staleBefore) {
        const skip = Math.min(run.left, Math.floor((staleBefore - run.next) / run.interval) + 1);
        run.next += skip * run.interval;
        run.left -= skip;
      }
      if (run.left > 0) return run.next;
      this.runs.shift();
    }
    return undefined;
  }

  take(): void {
    const run = this.runs[0]!;
    run.next += run.interval;
    if (--run.left === 0) this.runs.shift();
  }

  enter(): Promise<void> | undefined {
    if (this.idle) {
      this.held = true;
      return undefined;
    }
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  leave(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.held = false;
  }
}

/**
 * The downloader's RateLimiter with limits shared by the whole cluster. Slots come from the replicated GCRA
 * buckets in batches (one Raft entry per batch, not per request) and are spent here at their scheduled times.
 *
 * Batch size: rate × batchWindowMs (200 ms) / holders active on the key (the bucket reports them), at least 1.
 * Each holder then asks about five times a second at full speed, so the log carries a few grants per second per
 * key whatever the rate; and what a process holds unspent when it dies or its demand stops is about 200 ms of the
 * cluster rate shared among the holders, so the cluster rate dips only briefly. The next batch is requested when
 * half of the current one is left, so a busy key does not stall on the round trip.
 *
 * Slot times are on the replicated clock (the largest wall clock any proposer stamped) and are compared with this
 * process's wall clock: a clock running behind only delays sends; one running ahead by d spends slots up to d
 * early, so keep the nodes' clocks synchronised (NTP).
 */
export class RaftRateLimiter implements RateLimiter {
  private readonly keys = new Map<string, KeySlots>();
  private readonly holder: string;
  private readonly burst: number;
  private readonly batchWindowMs: number;
  private readonly horizonMs: number;
  private readonly catchUp: number;
  private readonly maxHoldMs: number;
  private readonly grantTimeoutMs: number;
  private acquisitions = 0;

  constructor(
    private readonly client: CoordinationClient,
    options: RaftRateLimiterOptions = {},
  ) {
    this.holder = options.holder ?? randomUUID();
    this.burst = Math.max(1, Math.floor(options.burst ?? 1));
    this.batchWindowMs = Math.max(1, options.batchWindowMs ?? 200);
    this.horizonMs = Math.max(0, Math.floor(options.horizonMs ?? 1000));
    this.catchUp = Math.min(Math.max(options.catchUp ?? 0.5, 0), 1);
    this.maxHoldMs = Math.max(0, options.maxHoldMs ?? 1000);
    this.grantTimeoutMs = Math.max(0, options.grantTimeoutMs ?? 15_000);
  }

  acquire(key: string, ratePerSec: number): Promise<void> | undefined {
    return this.acquireAll([{ key, ratePerSec }]);
  }

  acquireAll(limits: readonly RateLimit[]): Promise<void> | undefined {
    const held = this.acquireUntilSent(limits);
    if (typeof held === 'function') {
      held();
      return undefined;
    }
    return held.then((sent) => sent());
  }

  acquireUntilSent(limits: readonly RateLimit[]): Promise<SentSignal> | SentSignal {
    const active = this.active(limits);
    if (active.length === 0) return NOTHING_HELD;
    const now = this.client.now();
    const ready = active.every((l) => {
      const slots = this.slots(l.key);
      const next = slots.idle ? slots.peek(now) : undefined;
      return next !== undefined && next <= now && this.spacedFrom(slots, l) <= now;
    });
    if (!ready) return this.acquireSlow(active);
    const taken = active.map((l) => {
      const slots = this.slots(l.key);
      slots.held = true;
      slots.take();
      this.prefetch(slots, l);
      return slots;
    });
    return this.holdUntilSent(taken);
  }

  /** Rated limits, one per key (the strictest when a key repeats), in the caller's order. */
  private active(limits: readonly RateLimit[]): RateLimit[] {
    const byKey = new Map<string, RateLimit>();
    for (const l of limits) {
      if (!(l.ratePerSec > 0) || !Number.isFinite(l.ratePerSec)) continue;
      const seen = byKey.get(l.key);
      if (seen === undefined || l.ratePerSec < seen.ratePerSec) byKey.set(l.key, l);
    }
    if (byKey.size > 0 && ++this.acquisitions % 4096 === 0) this.prune();
    return [...byKey.values()];
  }

  private async acquireSlow(active: readonly RateLimit[]): Promise<SentSignal> {
    const entered: KeySlots[] = [];
    try {
      let sendAt = -Infinity;
      // keys are held in the caller's order (most specific first), as the local limiter does
      for (const limit of active) {
        const slots = this.slots(limit.key);
        const entering = slots.enter();
        entered.push(slots);
        if (entering) await entering;
        const slot = await this.takeSlot(slots, limit);
        sendAt = Math.max(sendAt, slot, this.spacedFrom(slots, limit));
      }
      await this.until(sendAt);
      return this.holdUntilSent(entered);
    } catch (error) {
      for (const slots of entered) slots.leave();
      throw error;
    }
  }

  /** Takes the next granted slot of the key, asking the cluster for more as often as needed; returns its time. */
  private async takeSlot(slots: KeySlots, limit: RateLimit): Promise<number> {
    const started = this.client.now();
    let backoffMs = 20;
    for (;;) {
      const slot = slots.peek(this.client.now());
      if (slot !== undefined) {
        slots.take();
        this.prefetch(slots, limit);
        return slot;
      }
      try {
        const grant = await this.fetch(slots, limit);
        // every slot within the horizon is booked by others: come back when the schedule reaches us
        if (grant.granted === 0) await this.until(grant.retryAt);
      } catch (error) {
        const waited = this.client.now() - started;
        if (waited >= this.grantTimeoutMs)
          throw new RateGrantUnavailableError(limit.key, waited, { cause: error });
        await sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 500);
      }
    }
  }

  private batchSize(limit: RateLimit, holders: number): number {
    return Math.max(1, Math.ceil((limit.ratePerSec * this.batchWindowMs) / 1000 / Math.max(1, holders)));
  }

  private prefetch(slots: KeySlots, limit: RateLimit): void {
    if (slots.fetching === undefined && slots.remaining <= this.batchSize(limit, slots.holders) / 2) {
      // a failed prefetch is retried by the next acquirer that finds no slot
      this.fetch(slots, limit).catch(() => undefined);
    }
  }

  /** One grant request per key at a time; concurrent askers share it. */
  private fetch(slots: KeySlots, limit: RateLimit): Promise<RateGrant> {
    slots.fetching ??= this.client
      .rateGrant({
        key: limit.key,
        holder: this.holder,
        want: this.batchSize(limit, slots.holders),
        ratePerSec: limit.ratePerSec,
        burst: this.burst,
        horizonMs: this.horizonMs,
      })
      .then((grant) => {
        slots.holders = Math.max(1, grant.holders);
        if (grant.granted > 0) {
          slots.runs.push({
            next: grant.from,
            interval: grant.intervalMs,
            left: grant.granted,
            receivedAt: this.client.now(),
          });
        }
        return grant;
      })
      .finally(() => {
        slots.fetching = undefined;
      });
    return slots.fetching;
  }

  /** The earliest this process may send on the key again, counted from its previous actual send. */
  private spacedFrom(slots: KeySlots, limit: RateLimit): number {
    return slots.lastSent + (1000 / limit.ratePerSec) * (1 - this.catchUp);
  }

  private holdUntilSent(held: readonly KeySlots[]): SentSignal {
    let done = false;
    const release = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const at = this.client.now();
      for (const slots of held) {
        slots.lastSent = Math.max(slots.lastSent, at);
        slots.lastUsed = at;
        slots.leave();
      }
    };
    const timer = setTimeout(release, this.maxHoldMs);
    timer.unref();
    return release;
  }

  private async until(at: number): Promise<void> {
    for (let now = this.client.now(); now < at; now = this.client.now()) {
      await sleep(Math.max(1, Math.ceil(at - now)));
    }
  }

  private slots(key: string): KeySlots {
    let slots = this.keys.get(key);
    if (slots === undefined) {
      slots = new KeySlots();
      slots.lastUsed = this.client.now();
      this.keys.set(key, slots);
    }
    return slots;
  }

  private prune(): void {
    const stale = this.client.now() - 60_000;
    for (const [key, slots] of this.keys) {
      if (slots.idle && slots.fetching === undefined && slots.lastUsed < stale) this.keys.delete(key);
    }
  }
}

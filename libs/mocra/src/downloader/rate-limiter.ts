import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { RateGate } from './rate-gate.js';

/** One limit a download must respect: at most `ratePerSec` sends per second on `key`; <= 0 = no limit. */
export interface RateLimit {
  key: string;
  ratePerSec: number;
}

/** Reports that the request a slot was granted for has left (or failed before leaving). Call it once. */
export type SentSignal = () => void;

/**
 * Keyed download rate limiter. The local implementation serves one process; the Raft-backed one (later) shares
 * the same keys across the cluster. A result of `undefined` means "go now" (no promise allocated).
 */
export interface RateLimiter {
  /** Waits for the next slot of `key` and takes it. */
  acquire(key: string, ratePerSec: number): Promise<void> | undefined;
  /**
   * Waits until every limit has a slot, then takes them all at the same instant (the moment of sending), so no
   * key sees two sends closer than its interval.
   */
  acquireAll(limits: readonly RateLimit[]): Promise<void> | undefined;
  /**
   * Like acquireAll, for a caller that can tell when its request really leaves: the slots stay taken until the
   * returned signal is called, and the next send on each key is spaced from that call, not from the grant. So a
   * connect or a descheduled process between the grant and the socket write cannot put two sends closer than the
   * interval, and a later request cannot overtake one still waiting for its connection. A plain function (not a
   * promise) means the slots were free: no wait.
   */
  acquireUntilSent(limits: readonly RateLimit[]): Promise<SentSignal> | SentSignal;
}

export interface LocalRateLimiterOptions {
  /** Monotonic ms clock; default performance.now (sub-ms, unaffected by wall-clock steps). */
  clock?: () => number;
  /**
   * Share of the interval a send may come sooner than one interval after the previous actual send, so late
   * timers are caught up on the nominal schedule and the long-run rate stays at the limit. Default 0.02: sends on
   * a key are never closer than 98% of the interval (19.6 ms at 50 req/s), a margin that leaves the network and
   * the receiving server 3% of the interval before a site measures a gap under 95% of it.
   */
  catchUp?: number;
  /**
   * Longest time slots granted by acquireUntilSent stay taken without the sent signal, so a connect that hangs
   * does not stall every other request on the key (a module's other hosts). Default 1000 ms.
   */
  maxHoldMs?: number;
}

/** Longest final stretch of a wait spent yielding (setImmediate) instead of on a timer. */
const SPIN_MS = 4;

const NOTHING_HELD: SentSignal = () => undefined;

interface HeldGate {
  gate: RateGate;
  interval: number;
}

/**
 * In-process RateLimiter: no busy waiting (a waiter sleeps once it heads its key's queue, one timer per key),
 * state per key is two numbers. Keys idle for a minute are dropped.
 */
export class LocalRateLimiter implements RateLimiter {
  private readonly gates = new Map<string, RateGate>();
  private readonly clock: () => number;
  private readonly catchUp: number;
  private readonly maxHoldMs: number;
  private acquisitions = 0;

  constructor(options: LocalRateLimiterOptions = {}) {
    this.clock = options.clock ?? (() => performance.now());
    this.catchUp = Math.min(Math.max(options.catchUp ?? 0.02, 0), 0.5);
    this.maxHoldMs = Math.max(0, options.maxHoldMs ?? 1_000);
  }

  acquire(key: string, ratePerSec: number): Promise<void> | undefined {
    return this.acquireAll([{ key, ratePerSec }]);
  }

  acquireAll(limits: readonly RateLimit[]): Promise<void> | undefined {
    const active = this.active(limits);
    if (active === undefined) return undefined;
    const now = this.takeFreeNow(active);
    if (now !== undefined) {
      for (const l of active) this.gate(l.key).leave();
      return undefined;
    }
    return this.acquireSlow(active).then((held) => {
      for (const h of held) h.gate.leave();
    });
  }

  acquireUntilSent(limits: readonly RateLimit[]): Promise<SentSignal> | SentSignal {
    const active = this.active(limits);
    if (active === undefined) return NOTHING_HELD;
    if (this.takeFreeNow(active) !== undefined) {
      return this.holdUntilSent(active.map((l) => this.gate(l.key)));
    }
    return this.acquireSlow(active).then((held) => this.holdUntilSent(held.map((h) => h.gate)));
  }

  private active(limits: readonly RateLimit[]): RateLimit[] | undefined {
    const active = limits.filter((l) => l.ratePerSec > 0 && Number.isFinite(l.ratePerSec));
    if (active.length === 0) return undefined;
    if (++this.acquisitions % 4096 === 0) this.prune();
    return active;
  }

  /** Takes every key at once when all are free and due (the common case: no promise); returns the instant. */
  private takeFreeNow(limits: readonly RateLimit[]): number | undefined {
    const now = this.clock();
    for (const l of limits) {
      const gate = this.gate(l.key);
      if (!gate.idle || gate.dueAt(1000 / l.ratePerSec, this.catchUp) > now) return undefined;
    }
    for (const l of limits) {
      const gate = this.gate(l.key);
      const interval = 1000 / l.ratePerSec;
      gate.held = true;
      gate.take(now, interval);
    }
    return now;
  }

  /** Waits for every gate in turn and takes them all at one instant; the gates are returned still held. */
  private async acquireSlow(limits: readonly RateLimit[]): Promise<HeldGate[]> {
    const held: HeldGate[] = [];
    try {
      // Gates are taken in the caller's order (most specific first, e.g. host then module) and held until the
      // send, so a request waiting on its host does not hold the module's slot.
      for (const limit of limits) {
        const gate = this.gate(limit.key);
        const entered = gate.enter();
        const interval = 1000 / limit.ratePerSec;
        held.push({ gate, interval });
        if (entered) await entered;
        await this.until(gate.dueAt(interval, this.catchUp), gate.floorAt(interval, this.catchUp), interval);
      }
      // Sleeping on a later gate may have let an earlier gate's due time pass; all are now past due.
      const now = this.clock();
      for (const h of held) h.gate.take(now, h.interval);
      return held;
    } catch (err) {
      for (const h of held) h.gate.leave();
      throw err;
    }
  }

  private holdUntilSent(gates: readonly RateGate[]): SentSignal {
    let done = false;
    const release = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const at = this.clock();
      for (const gate of gates) {
        gate.sentAt(at);
        gate.leave();
      }
    };
    const timer = setTimeout(release, this.maxHoldMs);
    timer.unref();
    return release;
  }

  /**
   * Waits until `due` (never before `floor`, the hard minimum gap to the previous send). Timers fire late by a
   * few ms on a busy machine, which would erode the rate; so the timer aims up to SPIN_MS early and the last
   * stretch yields to the event loop (setImmediate) until the instant: bounded, and I/O keeps flowing.
   */
  private async until(due: number, floor: number, intervalMs: number): Promise<void> {
    const at = Math.max(due, floor);
    const early = Math.min(SPIN_MS, intervalMs / 10);
    for (let now = this.clock(); at - now > early; now = this.clock()) {
      await sleep(Math.max(1, Math.floor(at - now - early)));
    }
    while (this.clock() < at) await yieldToLoop();
  }

  private gate(key: string): RateGate {
    let gate = this.gates.get(key);
    if (gate === undefined) {
      gate = new RateGate();
      this.gates.set(key, gate);
    }
    return gate;
  }

  private prune(): void {
    const stale = this.clock() - 60_000;
    for (const [key, gate] of this.gates) {
      if (gate.idle && gate.lastSent < stale && gate.nominalDue < stale) this.gates.delete(key);
    }
  }
}

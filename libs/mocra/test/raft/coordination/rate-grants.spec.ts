import { describe, expect, it } from 'vitest';
import { CoordinationStateMachine, type RateGrant } from '../../../src/raft/coordination/index.js';
import { applyCommand, prng } from './support/apply-command.js';

const T0 = 1_700_000_000_000;

interface Scenario {
  rate: number;
  burst: number;
  /** Slots each holder asks for at a time. */
  want: number;
  /** How often each holder asks (simulated ms). */
  everyMs: number;
  /** Holders' clocks run this much apart (ms). */
  skewMs: number;
}

/**
 * Three holders ask greedily for 10 simulated seconds; returns the slot times of everything granted and the
 * replicated clock at the first grant.
 */
function simulate(s: Scenario, seed: number): { slots: number[]; start: number; grants: RateGrant[] } {
  const m = new CoordinationStateMachine();
  const rand = prng(seed);
  const holders = ['n1', 'n2', 'n3'].map((name, i) => ({ name, skew: (i - 1) * s.skewMs, nextAsk: T0 }));
  const slots: number[] = [];
  const grants: RateGrant[] = [];
  let start = 0;
  for (let t = T0; t <= T0 + 10_000; t++) {
    for (const h of holders.filter((x) => x.nextAsk <= t).sort(() => rand() - 0.5)) {
      const grant = applyCommand(m, {
        op: 'rate.grant',
        at: t + h.skew,
        key: 'module:m',
        holder: h.name,
        want: s.want,
        ratePerSec: s.rate,
        burst: s.burst,
        horizonMs: 1000,
      });
      if (start === 0) start = m.clock;
      grants.push(grant);
      for (let k = 0; k < grant.granted; k++) slots.push(grant.from + k * grant.intervalMs);
      h.nextAsk = t + Math.max(1, Math.round(s.everyMs * (0.5 + rand())));
    }
  }
  return { slots: slots.sort((a, b) => a - b), start, grants };
}

describe('CoordinationStateMachine rate-limit grants', () => {
  it.each<[string, Scenario]>([
    ['small batches, frequent asks', { rate: 50, burst: 5, want: 4, everyMs: 20, skewMs: 0 }],
    ['1 s batches, skewed clocks', { rate: 30, burst: 1, want: 30, everyMs: 50, skewMs: 15 }],
    ['high rate, large burst', { rate: 1000, burst: 100, want: 70, everyMs: 10, skewMs: 5 }],
  ])(
    '3 greedy holders over 10 s (%s): slots by t never exceed rate × t + burst, and reach ≥ 95%%',
    (_n, s) => {
      const { slots, start, grants } = simulate(s, 11);
      const bound = (t: number): number => (s.rate * (t - start)) / 1000 + s.burst;
      // the count of slots at or before t is a step function: checking at every slot time checks every t
      for (let i = 0; i < slots.length; i++) {
        let j = i;
        while (j + 1 < slots.length && slots[j + 1] === slots[i]) j++;
        // epoch-ms doubles near 1.7e12 carry ~0.25 µs of rounding: allow a thousandth of a slot for it
        expect(j + 1, `slots by t=${slots[i]! - start} ms`).toBeLessThanOrEqual(bound(slots[i]!) + 1e-3);
        i = j;
      }
      const end = T0 + 10_000;
      const byEnd = slots.filter((x) => x <= end).length;
      expect(byEnd).toBeGreaterThanOrEqual(0.95 * bound(end));
      // every holder got a share, and the bucket tells holders how many share it
      expect(Math.max(...grants.map((g) => g.holders))).toBe(3);
    },
  );

  it('books no further ahead than the horizon and tells a refused holder when to come back', () => {
    const m = new CoordinationStateMachine();
    const ask = (at: number, want: number, horizonMs: number): RateGrant =>
      applyCommand(m, {
        op: 'rate.grant',
        at,
        key: 'k',
        holder: 'a',
        want,
        ratePerSec: 10,
        burst: 1,
        horizonMs,
      });
    const first = ask(T0, 100, 500);
    expect(first).toMatchObject({ granted: 6, from: T0, until: T0 + 600, intervalMs: 100 });
    const refused = ask(T0, 1, 0);
    expect(refused).toMatchObject({ granted: 0, retryAt: T0 + 600 });
    expect(ask(T0 + 600, 1, 0)).toMatchObject({ granted: 1, from: T0 + 600 });
  });

  it('forgets an idle bucket once its schedule has caught up and its holders went quiet', () => {
    const m = new CoordinationStateMachine();
    applyCommand(m, {
      op: 'rate.grant',
      at: T0,
      key: 'k',
      holder: 'a',
      want: 5,
      ratePerSec: 10,
      burst: 1,
      horizonMs: 1000,
    });
    expect(m.sizes().buckets).toBe(1);
    applyCommand(m, { op: 'clock', at: T0 + 60_000 });
    expect(m.sizes().buckets).toBe(0);
  });
});

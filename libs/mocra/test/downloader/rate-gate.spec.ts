import { describe, expect, it } from 'vitest';
import { RateGate } from '../../src/downloader/rate-gate.js';

const INTERVAL = 20; // 50 sends per second
const CATCH_UP = 0.02;

/**
 * Sends on one gate at the first instant each is allowed, on a simulated clock, except those in `stalls` (send
 * index to ms), which go that much later, as a descheduled process would. Returns the send instants.
 */
function sendAsSoonAsAllowed(until: number, stalls: ReadonlyMap<number, number> = new Map()): number[] {
  const gate = new RateGate();
  const sent: number[] = [];
  for (let now = 0; ;) {
    const at = Math.max(now, gate.dueAt(INTERVAL, CATCH_UP)) + (stalls.get(sent.length) ?? 0);
    if (at >= until) return sent;
    gate.take(at, INTERVAL);
    sent.push(at);
    now = at;
  }
}

const gaps = (times: readonly number[]): number[] => times.slice(1).map((t, i) => t - times[i]!);

describe('RateGate', () => {
  it('sends one interval apart when nothing is late', () => {
    const sent = sendAsSoonAsAllowed(2_000);
    expect(sent).toHaveLength(100);
    expect(Math.min(...gaps(sent))).toBeCloseTo(INTERVAL, 9);
  });

  it('wins back a stalled send on the schedule, never closer than (1 - catchUp) x interval', () => {
    // Send 10 leaves 15 ms late: the sends after it close up by 0.4 ms each until they are back on the schedule,
    // so 2 s still hold 100 sends. Taking the late instant as the new schedule would have lost one for good.
    const sent = sendAsSoonAsAllowed(2_000, new Map([[10, 15]]));
    expect(sent).toHaveLength(100);
    expect(Math.min(...gaps(sent))).toBeGreaterThanOrEqual(INTERVAL * (1 - CATCH_UP) - 1e-9);
    expect(sent[99]).toBeCloseTo(99 * INTERVAL, 9);
  });

  it('starts an idle key afresh: no burst to make up for the silence', () => {
    const gate = new RateGate();
    let now = 0;
    for (let i = 0; i < 5; i++) {
      now = Math.max(now, gate.dueAt(INTERVAL, CATCH_UP));
      gate.take(now, INTERVAL);
    }
    const start = now + 10_000;
    const after: number[] = [];
    for (now = start; ;) {
      now = Math.max(now, gate.dueAt(INTERVAL, CATCH_UP));
      if (now >= start + 1_000) break;
      gate.take(now, INTERVAL);
      after.push(now);
    }
    expect(after).toHaveLength(1_000 / INTERVAL);
    expect(Math.min(...gaps(after))).toBeCloseTo(INTERVAL, 9);
  });

  it('gives up a stall longer than an interval rather than sending in a burst to make it up', () => {
    const sent = sendAsSoonAsAllowed(2_000, new Map([[10, 25]]));
    expect(sent).toHaveLength(99);
    expect(Math.min(...gaps(sent))).toBeCloseTo(INTERVAL, 9);
  });
});

import { describe, expect, it } from 'vitest';
import { PartitionOffsetTracker } from '../../src/queue/kafka/partition-offset.tracker.js';

describe('PartitionOffsetTracker', () => {
  it('commits up to the lowest record not yet done, whatever the ack order', () => {
    const t = new PartitionOffsetTracker('ns-request-normal', 0, 10);
    const [a, b, c, d] = [10, 11, 12, 13].map((o) => t.admit(o));
    expect(t.commitPoint()).toBe(10);
    expect(t.complete(c!)).toBe(false); // 10 and 11 still open
    expect(t.complete(b!)).toBe(false);
    expect(t.commitPoint()).toBe(10);
    expect(t.complete(a!)).toBe(true); // 10, 11, 12 done: stops at 13
    expect(t.commitPoint()).toBe(13);
    expect(t.outstanding).toBe(1);
    expect(t.complete(d!)).toBe(true);
    expect(t.commitPoint()).toBe(14);
    expect(t.outstanding).toBe(0);
  });

  it('skips offset gaps (compaction, retention) and remembers the next expected offset', () => {
    const t = new PartitionOffsetTracker('ns-request-low', 3, 0);
    const a = t.admit(5);
    const b = t.admit(9);
    expect(t.next).toBe(10);
    t.complete(b);
    expect(t.commitPoint()).toBe(5);
    t.complete(a);
    expect(t.commitPoint()).toBe(10);
  });
});

import { describe, expect, it } from 'vitest';
import { PriorityFifo, type Priority } from '../../src/queue/index.js';
import { ChunkedFifo } from '../../src/queue/local/chunked-fifo.js';
import { prng } from './envelope.fixtures.js';

function popAll<T>(fifo: PriorityFifo<T>): T[] {
  const out: T[] = [];
  for (let item = fifo.pop(); item !== undefined; item = fifo.pop()) out.push(item);
  return out;
}

describe('ChunkedFifo', () => {
  it('matches an array model across chunk boundaries under random push/shift', () => {
    const fifo = new ChunkedFifo<number>();
    const model: number[] = [];
    const rand = prng(7);
    let next = 0;
    for (let step = 0; step < 20_000; step++) {
      // Biased toward pushes in the first half and shifts in the second, to grow past several chunks and drain.
      const pushBias = step < 10_000 ? 0.7 : 0.3;
      if (rand() < pushBias) {
        fifo.push(next);
        model.push(next++);
      } else {
        expect(fifo.peek()).toBe(model[0]);
        expect(fifo.shift()).toBe(model.shift());
      }
      expect(fifo.size).toBe(model.length);
    }
    expect(fifo.drain()).toEqual(model);
    expect(fifo.size).toBe(0);
    expect(fifo.shift()).toBeUndefined();
  });
});

describe('PriorityFifo', () => {
  it('serves high, then normal, then low, FIFO within each class', () => {
    const fifo = new PriorityFifo<string>();
    fifo.push('low', 'l1');
    fifo.push('normal', 'n1');
    fifo.push('high', 'h1');
    fifo.push('low', 'l2');
    fifo.push('high', 'h2');
    fifo.push('normal', 'n2');
    expect(fifo.size).toBe(6);
    expect(fifo.sizeOf('high')).toBe(2);
    expect(popAll(fifo)).toEqual(['h1', 'h2', 'n1', 'n2', 'l1', 'l2']);
    expect(fifo.size).toBe(0);
  });

  it('serves a waiting low item after starvationLimit high pops under a stream of high work', () => {
    const limit = 4;
    const fifo = new PriorityFifo<string>(limit);
    fifo.push('low', 'low-0');
    const served: string[] = [];
    let h = 0;
    // The producer keeps high non-empty: it is never drained, so strict priority would never reach low.
    for (let i = 0; i < 3; i++) fifo.push('high', `h${h++}`);
    for (let i = 0; i < 20; i++) {
      fifo.push('high', `h${h++}`);
      served.push(fifo.pop() as string);
    }
    const lowAt = served.indexOf('low-0');
    expect(lowAt).toBe(limit);
    expect(served.slice(0, limit).every((s) => s.startsWith('h'))).toBe(true);
  });

  it('with every class saturated serves limit high, then one normal, then one low', () => {
    const limit = 32;
    const fifo = new PriorityFifo<Priority>();
    for (let i = 0; i < 500; i++) {
      fifo.push('high', 'high');
      fifo.push('normal', 'normal');
      fifo.push('low', 'low');
    }
    const first = Array.from({ length: 2 * (limit + 2) }, () => fifo.pop());
    const round = [...Array<Priority>(limit).fill('high'), 'normal', 'low'];
    expect(first).toEqual([...round, ...round]);
  });

  it('under random load never passes over a waiting normal or low item more than limit + 1 times', () => {
    const limit = 8;
    const fifo = new PriorityFifo<Priority>(limit);
    const rand = prng(99);
    const feed: Priority[] = ['high', 'high', 'high', 'high', 'normal', 'low'];
    const run = { normal: 0, low: 0 };
    const worst = { normal: 0, low: 0 };
    for (let step = 0; step < 20_000; step++) {
      fifo.push(feed[Math.floor(rand() * feed.length)] as Priority, 'x' as Priority);
      if (rand() > 0.9) continue;
      const waiting = { normal: fifo.sizeOf('normal') > 0, low: fifo.sizeOf('low') > 0 };
      const before = { normal: fifo.sizeOf('normal'), low: fifo.sizeOf('low') };
      fifo.pop();
      for (const cls of ['normal', 'low'] as const) {
        const served = fifo.sizeOf(cls) < before[cls];
        run[cls] = served || !waiting[cls] ? 0 : run[cls] + 1;
        worst[cls] = Math.max(worst[cls], run[cls]);
      }
    }
    // High arrives faster than it is served here, so both lower classes did wait and had to be rescued.
    // +1: a rescue of the other lower class may come first.
    expect(worst.normal).toBeGreaterThanOrEqual(limit);
    expect(worst.normal).toBeLessThanOrEqual(limit + 1);
    expect(worst.low).toBeGreaterThanOrEqual(limit);
    expect(worst.low).toBeLessThanOrEqual(limit + 1);
  });

  it('resets the starvation count when the lower class is served normally', () => {
    const fifo = new PriorityFifo<string>(3);
    fifo.push('high', 'h1');
    fifo.push('high', 'h2');
    fifo.push('normal', 'n1');
    expect(popAll(fifo)).toEqual(['h1', 'h2', 'n1']);
    // Two high pops were counted against normal before n1; the count must start over for n2.
    fifo.push('normal', 'n2');
    for (let i = 0; i < 3; i++) fifo.push('high', `x${i}`);
    expect(popAll(fifo)).toEqual(['x0', 'x1', 'x2', 'n2']);
  });

  it('rejects a starvation limit below 1', () => {
    expect(() => new PriorityFifo(0)).toThrow(RangeError);
  });
});

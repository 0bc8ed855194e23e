import { describe, expect, it } from 'vitest';
import { DepthFifo, SHALLOW_TURN_EVERY } from '../../src/queue/local/depth-fifo.js';
import { PriorityFifo } from '../../src/queue/local/priority-fifo.js';
import { prng } from './envelope.fixtures.js';

function shiftAll<T>(fifo: DepthFifo<T>): T[] {
  const out: T[] = [];
  while (fifo.size > 0) out.push(fifo.shift() as T);
  return out;
}

describe('DepthFifo', () => {
  it('serves the deepest bucket first, oldest first within a depth', () => {
    const fifo = new DepthFifo<string>();
    fifo.push('a0', 0);
    fifo.push('b2', 2);
    fifo.push('c1', 1);
    fifo.push('d2', 2);
    fifo.push('e0', 0);
    expect(shiftAll(fifo)).toEqual(['b2', 'd2', 'c1', 'a0', 'e0']);
    expect(fifo.shift()).toBeUndefined();
  });

  it('is a plain FIFO when every item has the same depth', () => {
    const fifo = new DepthFifo<number>();
    for (let i = 0; i < 3000; i++) fifo.push(i);
    expect(shiftAll(fifo)).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });

  it('gives the shallowest bucket one turn in SHALLOW_TURN_EVERY while deeper work keeps arriving', () => {
    const fifo = new DepthFifo<string>();
    fifo.push('shallow', 0);
    const served: string[] = [];
    // The deep bucket never empties: strict deepest-first would never reach the shallow item.
    for (let i = 0; i < SHALLOW_TURN_EVERY * 2; i++) {
      fifo.push(`deep-${i}`, 5);
      served.push(fifo.shift() as string);
    }
    expect(served.indexOf('shallow')).toBe(SHALLOW_TURN_EVERY - 1);
  });

  it('keeps count and order against a model under random pushes and shifts over many depths', () => {
    const fifo = new DepthFifo<{ depth: number; seq: number }>();
    const model: Array<{ depth: number; seq: number }> = [];
    const rand = prng(11);
    let seq = 0;
    let deepTurns = 0;
    for (let step = 0; step < 20_000; step++) {
      if (rand() < 0.55) {
        const item = { depth: Math.floor(rand() * 6), seq: seq++ };
        fifo.push(item, item.depth);
        model.push(item);
      } else if (model.length > 0) {
        const depths = [...new Set(model.map((m) => m.depth))].sort((a, b) => a - b);
        let depth = depths[depths.length - 1]!;
        if (depths.length > 1 && ++deepTurns >= SHALLOW_TURN_EVERY) depth = depths[0]!;
        if (depth === depths[0]) deepTurns = 0;
        const index = model.findIndex((m) => m.depth === depth);
        expect(fifo.shift()).toBe(model.splice(index, 1)[0]);
      }
      expect(fifo.size).toBe(model.length);
    }
  });

  it('drains deepest first and is empty after', () => {
    const fifo = new DepthFifo<string>();
    fifo.push('x0', 0);
    fifo.push('y3', 3);
    fifo.push('z3', 3);
    expect(fifo.drain()).toEqual(['y3', 'z3', 'x0']);
    expect(fifo.size).toBe(0);
    expect(fifo.shift()).toBeUndefined();
  });
});

describe('PriorityFifo with depths', () => {
  it('orders by priority class first, then by depth within the class', () => {
    const fifo = new PriorityFifo<string>();
    fifo.push('normal', 'n-deep', 4);
    fifo.push('high', 'h-shallow', 0);
    fifo.push('normal', 'n-shallow', 0);
    fifo.push('high', 'h-deep', 1);
    const out: string[] = [];
    for (let item = fifo.pop(); item !== undefined; item = fifo.pop()) out.push(item);
    expect(out).toEqual(['h-deep', 'h-shallow', 'n-deep', 'n-shallow']);
  });
});

import { describe, expect, it } from 'vitest';
import { Inflights } from '../../src/core/inflights.js';

describe('Inflights', () => {
  it('fills up to its size and frees in order', () => {
    const f = new Inflights(3);
    f.add(5, 10);
    f.add(7, 10);
    expect(f.full()).toBe(false);
    f.add(9, 10);
    expect(f.full()).toBe(true);
    expect(() => f.add(11, 1)).toThrow(/full/);
    f.freeLE(7);
    expect(f.count).toBe(1);
    expect(f.bytes).toBe(10);
    expect(f.full()).toBe(false);
  });

  it('wraps around the ring buffer', () => {
    const f = new Inflights(3);
    for (let i = 1; i <= 3; i++) f.add(i, 1);
    f.freeLE(2);
    f.add(4, 1);
    f.add(5, 1);
    expect(f.count).toBe(3);
    f.freeLE(4);
    expect(f.count).toBe(1);
    f.freeLE(5);
    expect(f.count).toBe(0);
    f.add(6, 1);
    expect(f.count).toBe(1);
  });

  it('ignores frees below the first in-flight index', () => {
    const f = new Inflights(2);
    f.add(10, 1);
    f.freeLE(9);
    expect(f.count).toBe(1);
  });

  it('is full once the byte budget is used', () => {
    const f = new Inflights(10, 100);
    f.add(1, 60);
    expect(f.full()).toBe(false);
    f.add(2, 40);
    expect(f.full()).toBe(true);
    f.freeLE(1);
    expect(f.full()).toBe(false);
  });

  it('freeFirstOne frees exactly the oldest message', () => {
    const f = new Inflights(3);
    f.add(4, 1);
    f.add(8, 2);
    f.freeFirstOne();
    expect(f.count).toBe(1);
    expect(f.bytes).toBe(2);
    f.freeFirstOne();
    f.freeFirstOne();
    expect(f.count).toBe(0);
  });

  it('reset empties the window', () => {
    const f = new Inflights(2);
    f.add(1, 1);
    f.add(2, 1);
    f.reset();
    expect(f.count).toBe(0);
    expect(f.bytes).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import {
  compareNodeIds,
  jointCommitted,
  jointVoteResult,
  majorityCommitted,
  majorityVoteResult,
} from '../../src/core/quorum.js';

const acked = (m: Record<string, number>) => (id: string) => m[id];

describe('quorum', () => {
  it('majority commit index is the highest index a majority has', () => {
    const v = new Set(['1', '2', '3']);
    expect(majorityCommitted(v, acked({ '1': 5, '2': 3, '3': 9 }))).toBe(5);
    expect(majorityCommitted(v, acked({ '1': 5 }))).toBe(0);
    const four = new Set(['1', '2', '3', '4']);
    expect(majorityCommitted(four, acked({ '1': 5, '2': 4, '3': 9, '4': 1 }))).toBe(4);
    expect(majorityCommitted(new Set(['1']), acked({ '1': 7 }))).toBe(7);
  });

  it('an empty config imposes no constraint', () => {
    expect(majorityCommitted(new Set(), acked({}))).toBe(Infinity);
    expect(jointCommitted(new Set(['1', '2', '3']), new Set(), acked({ '1': 4, '2': 4, '3': 1 }))).toBe(4);
  });

  it('joint commit needs both majorities', () => {
    const inc = new Set(['2', '3', '4']);
    const out = new Set(['1', '2', '3']);
    // 1 and 2 are a majority of the outgoing config only.
    expect(jointCommitted(inc, out, acked({ '1': 9, '2': 9, '3': 1, '4': 1 }))).toBe(1);
    expect(jointCommitted(inc, out, acked({ '1': 9, '2': 9, '3': 1, '4': 9 }))).toBe(9);
  });

  it('vote results', () => {
    const v = new Set(['1', '2', '3', '4', '5']);
    const votes = new Map<string, boolean>([
      ['1', true],
      ['2', true],
    ]);
    expect(majorityVoteResult(v, votes)).toBe('pending');
    votes.set('3', true);
    expect(majorityVoteResult(v, votes)).toBe('won');
    const lost = new Map<string, boolean>([
      ['1', true],
      ['2', false],
      ['3', false],
      ['4', false],
    ]);
    expect(majorityVoteResult(v, lost)).toBe('lost');
    expect(majorityVoteResult(new Set(), new Map())).toBe('won');
  });

  it('joint vote: lost if either half lost, won only if both won', () => {
    const inc = new Set(['1', '2', '3']);
    const out = new Set(['3', '4', '5']);
    const votes = new Map<string, boolean>([
      ['1', true],
      ['2', true],
      ['3', true],
    ]);
    expect(jointVoteResult(inc, out, votes)).toBe('pending');
    votes.set('4', false);
    votes.set('5', false);
    expect(jointVoteResult(inc, out, votes)).toBe('lost');
    votes.set('4', true);
    expect(jointVoteResult(inc, out, votes)).toBe('won');
  });

  it('orders numeric ids numerically', () => {
    expect(['10', '2', '1', 'b', 'a'].sort(compareNodeIds)).toEqual(['1', '2', '10', 'a', 'b']);
  });
});

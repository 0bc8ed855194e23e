import { describe, expect, it } from 'vitest';
import { Progress } from '../../src/core/progress.js';

const mk = (next = 5) => new Progress(next, 4, Infinity, false);

describe('Progress', () => {
  it('probe sends one append then pauses until acknowledged', () => {
    const pr = mk();
    expect(pr.isPaused()).toBe(false);
    pr.sentEntries(2, 10);
    expect(pr.isPaused()).toBe(true);
    expect(pr.maybeUpdate(6)).toBe(true);
    expect(pr.isPaused()).toBe(false);
    expect(pr.next).toBe(7);
  });

  it('replicate advances next optimistically and pauses when the window is full', () => {
    const pr = mk();
    pr.match = 4;
    pr.becomeReplicate();
    for (let i = 0; i < 4; i++) pr.sentEntries(1, 1);
    expect(pr.next).toBe(9);
    expect(pr.isPaused()).toBe(true);
    pr.maybeUpdate(6);
    pr.inflights.freeLE(6);
    expect(pr.isPaused()).toBe(false);
  });

  it('maybeDecrTo in replicate falls back to match+1 and ignores stale rejections', () => {
    const pr = mk();
    pr.match = 4;
    pr.becomeReplicate();
    pr.sentEntries(3, 3);
    expect(pr.maybeDecrTo(3, 3)).toBe(false);
    expect(pr.maybeDecrTo(6, 2)).toBe(true);
    expect(pr.next).toBe(5);
  });

  it('maybeDecrTo in probe uses the hint but only for the outstanding probe', () => {
    const pr = mk(10);
    expect(pr.maybeDecrTo(5, 2)).toBe(false); // not the probe we sent (next-1 = 9)
    expect(pr.maybeDecrTo(9, 3)).toBe(true);
    expect(pr.next).toBe(4);
    pr.match = 5;
    pr.next = 10;
    expect(pr.maybeDecrTo(9, 1)).toBe(true);
    expect(pr.next).toBe(6); // never below match+1
  });

  it('snapshot state is paused and resumes probing after the snapshot index', () => {
    const pr = mk();
    pr.becomeSnapshot(20);
    expect(pr.isPaused()).toBe(true);
    pr.becomeProbe();
    expect(pr.state).toBe('probe');
    expect(pr.next).toBe(21);
    pr.becomeSnapshot(30);
    pr.pendingSnapshot = 0;
    pr.match = 3;
    pr.becomeProbe();
    expect(pr.next).toBe(4);
  });

  it('maybeUpdate ignores older acknowledgements', () => {
    const pr = mk();
    expect(pr.maybeUpdate(8)).toBe(true);
    expect(pr.maybeUpdate(7)).toBe(false);
    expect(pr.match).toBe(8);
    expect(pr.next).toBe(9);
  });
});

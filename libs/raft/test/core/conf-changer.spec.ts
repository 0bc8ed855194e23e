import { describe, expect, it } from 'vitest';
import { applyConfChangeTo } from '../../src/core/conf-changer.js';
import { ProgressTracker, confStateToConfig } from '../../src/core/tracker.js';
import { ConfChangeError, type ConfState } from '../../src/index.js';

function tracker(cs: Partial<ConfState>): ProgressTracker {
  const full: ConfState = {
    voters: [],
    learners: [],
    votersOutgoing: [],
    learnersNext: [],
    autoLeave: false,
    ...cs,
  };
  const t = new ProgressTracker(4, Infinity);
  const config = confStateToConfig(full);
  const progress = new Map();
  for (const id of [...full.voters, ...full.learners, ...full.votersOutgoing]) {
    progress.set(id, t.newProgress(1, full.learners.includes(id)));
  }
  t.setConfig(config, progress);
  return t;
}

function apply(t: ProgressTracker, cc: Parameters<typeof applyConfChangeTo>[1]): ConfState {
  const r = applyConfChangeTo(t, cc, 10);
  t.setConfig(r.config, r.progress);
  return t.confState();
}

describe('conf changes', () => {
  it('a simple change adds or removes one voter', () => {
    const t = tracker({ voters: ['1', '2', '3'] });
    expect(apply(t, { changes: [{ type: 'add_node', nodeId: '4' }] }).voters).toEqual(['1', '2', '3', '4']);
    expect(t.progress.get('4')?.next).toBe(10);
    expect(apply(t, { changes: [{ type: 'remove_node', nodeId: '1' }] }).voters).toEqual(['2', '3', '4']);
    expect(t.progress.has('1')).toBe(false);
  });

  it('several changes always go through a joint config', () => {
    const t = tracker({ voters: ['1', '2', '3'] });
    const cs = apply(t, {
      changes: [
        { type: 'add_node', nodeId: '5' },
        { type: 'remove_node', nodeId: '1' },
      ],
    });
    expect(cs.voters).toEqual(['2', '3', '5']);
    expect(cs.votersOutgoing).toEqual(['1', '2', '3']);
    // Commit needs both majorities: 1 and 2 only form one in the outgoing config.
    t.progress.get('1')!.match = 9;
    t.progress.get('2')!.match = 9;
    expect(t.committed()).toBe(0);
    t.progress.get('5')!.match = 9;
    expect(t.committed()).toBe(9);
  });

  it('enters and leaves a joint config; demoted outgoing voters become learners on leave', () => {
    const t = tracker({ voters: ['1', '2', '3'] });
    const joint = apply(t, {
      changes: [
        { type: 'add_node', nodeId: '4' },
        { type: 'add_learner', nodeId: '3' },
      ],
    });
    expect(joint).toEqual({
      voters: ['1', '2', '4'],
      votersOutgoing: ['1', '2', '3'],
      learners: [],
      learnersNext: ['3'],
      autoLeave: true,
    });
    expect(t.progress.get('3')?.isLearner).toBe(false); // still votes in the outgoing config
    expect(() => apply(t, { changes: [{ type: 'add_node', nodeId: '5' }] })).toThrow(ConfChangeError);
    const left = apply(t, { changes: [] });
    expect(left).toEqual({
      voters: ['1', '2', '4'],
      votersOutgoing: [],
      learners: ['3'],
      learnersNext: [],
      autoLeave: false,
    });
    expect(t.progress.get('3')?.isLearner).toBe(true);
  });

  it('explicit transition does not auto-leave; removed outgoing voters keep progress until leaving', () => {
    const t = tracker({ voters: ['1', '2', '3'] });
    const cs = apply(t, {
      changes: [
        { type: 'remove_node', nodeId: '3' },
        { type: 'add_node', nodeId: '4' },
      ],
      transition: 'explicit',
    });
    expect(cs.autoLeave).toBe(false);
    expect(t.progress.has('3')).toBe(true);
    apply(t, { changes: [] });
    expect(t.progress.has('3')).toBe(false);
  });

  it('refuses invalid changes and leaves the tracker untouched', () => {
    const t = tracker({ voters: ['1'] });
    expect(() => apply(t, { changes: [] })).toThrow(/never entered/);
    expect(() => apply(t, { changes: [{ type: 'remove_node', nodeId: '1' }] })).toThrow(/all voters/);
    expect(t.confState().voters).toEqual(['1']);
    expect(() => apply(t, { changes: [{ type: 'add_node', nodeId: '' }] })).toThrow(/empty node id/);
  });

  it('a learner promoted to voter keeps its progress', () => {
    const t = tracker({ voters: ['1', '2', '3'], learners: ['4'] });
    const pr = t.progress.get('4');
    pr!.match = 7;
    apply(t, { changes: [{ type: 'add_node', nodeId: '4' }] });
    expect(t.progress.get('4')).toBe(pr);
    expect(pr!.isLearner).toBe(false);
    expect(pr!.match).toBe(7);
  });
});

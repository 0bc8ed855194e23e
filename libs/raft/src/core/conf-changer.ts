import { ConfChangeError } from './errors.js';
import type { Progress } from './progress.js';
import { cloneConfig, type ProgressTracker, type TrackerConfig } from './tracker.js';
import type { ConfChange, ConfChangeSingle, NodeId } from './types.js';

export interface ChangeResult {
  config: TrackerConfig;
  progress: Map<NodeId, Progress>;
}

/**
 * Computes the configuration that results from a ConfChange without touching the tracker, so a rejected change
 * leaves everything as it was. Simple changes alter at most one voter; joint changes enter a joint config whose
 * outgoing half is the current voter set; an empty change leaves the joint config.
 */
export function applyConfChangeTo(tracker: ProgressTracker, cc: ConfChange, lastIndex: number): ChangeResult {
  const cfg = cloneConfig(tracker.config);
  if (cc.changes.length === 0) {
    if (cfg.outgoing.size === 0)
      throw new ConfChangeError('cannot leave a joint config that was never entered');
    for (const id of cfg.learnersNext) cfg.learners.add(id);
    cfg.learnersNext.clear();
    cfg.outgoing.clear();
    cfg.autoLeave = false;
  } else if (cc.changes.length === 1 && cc.transition === undefined) {
    if (cfg.outgoing.size > 0)
      throw new ConfChangeError('a simple change is not allowed while in a joint config');
    const before = new Set(cfg.incoming);
    applyChanges(cfg, cc.changes);
    let diff = 0;
    for (const id of before) if (!cfg.incoming.has(id)) diff++;
    for (const id of cfg.incoming) if (!before.has(id)) diff++;
    if (diff > 1) throw new ConfChangeError('more than one voter changed without entering a joint config');
  } else {
    if (cfg.outgoing.size > 0) throw new ConfChangeError('config is already joint');
    if (cfg.incoming.size === 0) throw new ConfChangeError('cannot make a zero-voter config joint');
    cfg.outgoing = new Set(cfg.incoming);
    applyChanges(cfg, cc.changes);
    cfg.autoLeave = cc.transition !== 'explicit';
  }
  checkInvariants(cfg);
  if (cfg.incoming.size === 0) throw new ConfChangeError('removing all voters is not allowed');
  return { config: cfg, progress: reconcileProgress(tracker, cfg, lastIndex) };
}

function applyChanges(cfg: TrackerConfig, changes: ConfChangeSingle[]): void {
  for (const c of changes) {
    if (c.nodeId === '') throw new ConfChangeError(`change ${c.type} has an empty node id`);
    switch (c.type) {
      case 'add_node':
        cfg.learners.delete(c.nodeId);
        cfg.learnersNext.delete(c.nodeId);
        cfg.incoming.add(c.nodeId);
        break;
      case 'add_learner':
        if (cfg.learners.has(c.nodeId)) break;
        cfg.incoming.delete(c.nodeId);
        cfg.learnersNext.delete(c.nodeId);
        // A voter of the outgoing config keeps voting there until the joint config is left.
        if (cfg.outgoing.has(c.nodeId)) cfg.learnersNext.add(c.nodeId);
        else cfg.learners.add(c.nodeId);
        break;
      case 'remove_node':
        cfg.incoming.delete(c.nodeId);
        cfg.learners.delete(c.nodeId);
        cfg.learnersNext.delete(c.nodeId);
        break;
    }
  }
}

function checkInvariants(cfg: TrackerConfig): void {
  for (const id of cfg.learnersNext) {
    if (!cfg.outgoing.has(id))
      throw new ConfChangeError(`${id} is in learnersNext but not an outgoing voter`);
    if (cfg.incoming.has(id)) throw new ConfChangeError(`${id} is in learnersNext and an incoming voter`);
  }
  for (const id of cfg.learners) {
    if (cfg.incoming.has(id) || cfg.outgoing.has(id))
      throw new ConfChangeError(`${id} is both learner and voter`);
  }
  if (cfg.outgoing.size === 0 && (cfg.learnersNext.size > 0 || cfg.autoLeave)) {
    throw new ConfChangeError('learnersNext/autoLeave set outside a joint config');
  }
}

/** Keeps Progress of remaining members, creates it for new ones, and drops it for members that left. */
function reconcileProgress(
  tracker: ProgressTracker,
  cfg: TrackerConfig,
  lastIndex: number,
): Map<NodeId, Progress> {
  const members = new Set<NodeId>([...cfg.incoming, ...cfg.outgoing, ...cfg.learners, ...cfg.learnersNext]);
  const out = new Map<NodeId, Progress>();
  for (const id of members) {
    let pr = tracker.progress.get(id);
    if (!pr) pr = tracker.newProgress(Math.max(lastIndex, 1), false);
    pr.isLearner = cfg.learners.has(id);
    out.set(id, pr);
  }
  return out;
}

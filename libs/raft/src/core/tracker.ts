import { Progress } from './progress.js';
import { compareNodeIds, jointCommitted, jointVoteResult, type VoteResult } from './quorum.js';
import type { ConfState, NodeId } from './types.js';

/** A cluster configuration: voters (incoming, and outgoing while joint) and learners. */
export interface TrackerConfig {
  incoming: Set<NodeId>;
  outgoing: Set<NodeId>;
  learners: Set<NodeId>;
  learnersNext: Set<NodeId>;
  autoLeave: boolean;
}

export function emptyConfig(): TrackerConfig {
  return {
    incoming: new Set(),
    outgoing: new Set(),
    learners: new Set(),
    learnersNext: new Set(),
    autoLeave: false,
  };
}

export function cloneConfig(c: TrackerConfig): TrackerConfig {
  return {
    incoming: new Set(c.incoming),
    outgoing: new Set(c.outgoing),
    learners: new Set(c.learners),
    learnersNext: new Set(c.learnersNext),
    autoLeave: c.autoLeave,
  };
}

const sorted = (s: Iterable<NodeId>): NodeId[] => [...s].sort(compareNodeIds);

export function configToConfState(c: TrackerConfig): ConfState {
  return {
    voters: sorted(c.incoming),
    learners: sorted(c.learners),
    votersOutgoing: sorted(c.outgoing),
    learnersNext: sorted(c.learnersNext),
    autoLeave: c.autoLeave,
  };
}

export function confStateToConfig(cs: ConfState): TrackerConfig {
  return {
    incoming: new Set(cs.voters),
    outgoing: new Set(cs.votersOutgoing),
    learners: new Set(cs.learners),
    learnersNext: new Set(cs.learnersNext),
    autoLeave: cs.autoLeave,
  };
}

export function describeConfig(c: TrackerConfig): string {
  let s = `voters=(${sorted(c.incoming).join(' ')})`;
  if (c.outgoing.size > 0) s += `&&(${sorted(c.outgoing).join(' ')})`;
  if (c.learners.size > 0) s += ` learners=(${sorted(c.learners).join(' ')})`;
  if (c.learnersNext.size > 0) s += ` learners_next=(${sorted(c.learnersNext).join(' ')})`;
  if (c.autoLeave) s += ' autoleave';
  return s;
}

/** Configuration, per-member Progress and the votes of the current election. */
export class ProgressTracker {
  config: TrackerConfig = emptyConfig();
  progress = new Map<NodeId, Progress>();
  votes = new Map<NodeId, boolean>();
  /** Member ids in deterministic order, refreshed when the configuration changes. */
  private ids: NodeId[] = [];

  constructor(
    readonly maxInflight: number,
    readonly maxInflightBytes: number,
  ) {}

  setConfig(config: TrackerConfig, progress: Map<NodeId, Progress>): void {
    this.config = config;
    this.progress = progress;
    this.ids = sorted(progress.keys());
  }

  newProgress(next: number, isLearner: boolean): Progress {
    return new Progress(next, this.maxInflight, this.maxInflightBytes, isLearner);
  }

  /** Visits every member (voters and learners) in id order. */
  visit(fn: (id: NodeId, pr: Progress) => void): void {
    for (const id of this.ids) {
      const pr = this.progress.get(id);
      if (pr) fn(id, pr);
    }
  }

  isVoter(id: NodeId): boolean {
    return this.config.incoming.has(id) || this.config.outgoing.has(id);
  }

  voterIds(): NodeId[] {
    return sorted(new Set([...this.config.incoming, ...this.config.outgoing]));
  }

  isJoint(): boolean {
    return this.config.outgoing.size > 0;
  }

  /** Only the local node votes. */
  isSingleton(): boolean {
    return this.config.incoming.size === 1 && this.config.outgoing.size === 0;
  }

  /** Largest index acknowledged by a quorum of voters (learners never count). */
  committed(): number {
    return jointCommitted(this.config.incoming, this.config.outgoing, (id) => this.progress.get(id)?.match);
  }

  /** Whether a quorum of voters was heard from in the last CheckQuorum round. */
  quorumActive(): boolean {
    const votes = new Map<NodeId, boolean>();
    this.visit((id, pr) => {
      if (!pr.isLearner) votes.set(id, pr.recentActive);
    });
    return jointVoteResult(this.config.incoming, this.config.outgoing, votes) === 'won';
  }

  /** Whether the ids in `acks` form a quorum. */
  hasQuorum(acks: ReadonlySet<NodeId>): boolean {
    const votes = new Map<NodeId, boolean>();
    for (const id of acks) votes.set(id, true);
    return jointVoteResult(this.config.incoming, this.config.outgoing, votes) === 'won';
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  /** Records the first vote of `id` in this election; a duplicate response never counts twice. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    this.visit((id, pr) => {
      if (pr.isLearner) return;
      const v = this.votes.get(id);
      if (v === undefined) return;
      if (v) granted++;
      else rejected++;
    });
    return {
      granted,
      rejected,
      result: jointVoteResult(this.config.incoming, this.config.outgoing, this.votes),
    };
  }

  confState(): ConfState {
    return configToConfState(this.config);
  }
}

import type { ConfChange, ConfState, NodeId } from '../core/types.js';
import type { Prng } from './prng.js';
import type { SimNetwork } from './sim-network.js';
import type { SimNode } from './sim-node.js';
import { TICK_UNITS, type FaultMix, type RaftTuning } from './sim-options.js';
import type { SimStats } from './sim-result.js';

/** At most this many nodes run at once (members, joining and removed-but-not-yet-known). */
const MAX_NODES = 7;

/** What the fault injector may see and do to the simulated cluster. */
export interface FaultTarget {
  readonly now: number;
  readonly tracing: boolean;
  trace(line: string): void;
  readonly network: SimNetwork;
  readonly stats: SimStats;
  readonly tuning: RaftTuning;
  /** The latest committed configuration. */
  membership(): ConfState;
  allNodes(): SimNode[];
  restart(node: SimNode): void;
  pause(node: SimNode, until: number): void;
  proposeChange(at: SimNode, change: ConfChange): boolean;
  /** Starts a fresh node and proposes `change(id)` for it; the node is shut down if the proposal is dropped. */
  proposeWithNewNode(at: SimNode, change: (id: NodeId) => ConfChange): void;
}

/**
 * The nemesis: at each fault event it picks one of the enabled fault kinds (partitions, crashes and restarts,
 * pauses, clock jumps, snapshot + compaction, membership churn, leader transfers, link degradation) and applies
 * it to a random target, drawing only from its own PRNG.
 */
export class FaultInjector {
  constructor(
    private readonly sim: FaultTarget,
    private readonly faults: FaultMix,
    private readonly prng: Prng,
  ) {}

  inject(): void {
    const f = this.faults;
    const kinds: Array<() => void> = [];
    if (f.partitions) kinds.push(() => this.partitionFault());
    if (f.crashes) kinds.push(() => this.crashFault());
    if (f.pauses) kinds.push(() => this.pauseFault());
    if (f.clockJumps) kinds.push(() => this.clockJumpFault());
    if (f.snapshots) kinds.push(() => this.snapshotFault());
    if (f.membership) kinds.push(() => this.membershipFault());
    if (f.leaderTransfers) kinds.push(() => this.transferFault());
    if (f.loss > 0) kinds.push(() => this.degradeFault());
    if (kinds.length > 0) this.prng.pick(kinds)();
  }

  private liveNodes(): SimNode[] {
    return this.sim.allNodes().filter((node) => node.isUp);
  }

  private partitionFault(): void {
    const p = this.prng;
    const ids = this.sim
      .allNodes()
      .filter((n) => n.state !== 'decommissioned')
      .map((n) => n.id);
    const roll = p.next();
    if (roll < 0.35) {
      this.sim.network.healPartitions();
    } else if (roll < 0.65) {
      const a: NodeId[] = [];
      const b: NodeId[] = [];
      for (const id of ids) (p.chance(0.5) ? a : b).push(id);
      this.sim.network.partition([a, b]);
    } else if (roll < 0.85) {
      const isolated = p.pick(ids);
      this.sim.network.partition([[isolated], ids.filter((id) => id !== isolated)]);
    } else {
      for (let i = p.range(1, 3); i > 0; i--) this.sim.network.block(p.pick(ids), p.pick(ids));
    }
    if (this.sim.tracing)
      this.sim.trace(`partitions now: ${this.sim.network.describePartitions() || 'none'}`);
  }

  private crashFault(): void {
    const down = this.sim.allNodes().filter((node) => node.state === 'down');
    if (down.length > 0 && this.prng.chance(0.5)) {
      this.sim.restart(this.prng.pick(down));
      return;
    }
    const live = this.liveNodes();
    if (live.length === 0) return;
    const victim = this.prng.pick(live);
    if (this.sim.tracing) this.sim.trace(`${victim.id} crashes`);
    this.sim.stats.crashes++;
    victim.crash();
  }

  private pauseFault(): void {
    const live = this.liveNodes().filter((node) => !node.isPaused(this.sim.now));
    if (live.length === 0) return;
    const node = this.prng.pick(live);
    this.sim.pause(node, this.sim.now + TICK_UNITS * this.prng.range(2, 3 * this.sim.tuning.electionTick));
  }

  private clockJumpFault(): void {
    const live = this.liveNodes().filter((node) => !node.isPaused(this.sim.now));
    if (live.length === 0) return;
    const node = this.prng.pick(live);
    const ticks = this.prng.range(this.sim.tuning.electionTick, 3 * this.sim.tuning.electionTick);
    if (this.sim.tracing) this.sim.trace(`${node.id} clock jumps ${ticks} ticks`);
    node.clockJump(ticks);
  }

  private snapshotFault(): void {
    const live = this.liveNodes().filter((node) => !node.isPaused(this.sim.now));
    if (live.length === 0) return;
    const node = this.prng.pick(live);
    const keep = this.prng.pick([0, 0, 2, 10]);
    if (node.snapshotAndCompact(keep)) {
      this.sim.stats.snapshotsTaken++;
      if (this.sim.tracing)
        this.sim.trace(`${node.id} snapshot at ${node.applied}, compacted keeping ${keep}`);
    }
  }

  private transferFault(): void {
    const leader = this.liveNodes().find((node) => node.role === 'leader');
    const voters = this.sim.membership().voters.filter((id) => id !== leader?.id);
    if (!leader || voters.length === 0) return;
    const to = this.prng.pick(voters);
    if (this.sim.tracing) this.sim.trace(`${leader.id} transfers leadership to ${to}`);
    leader.transferLeader(to);
  }

  private degradeFault(): void {
    const ids = this.sim.allNodes().map((node) => node.id);
    this.sim.network.degrade(this.prng.pick(ids), this.prng.pick(ids), this.prng.pick([0.3, 0.6, 0.9]));
  }

  private membershipFault(): void {
    const p = this.prng;
    const conf = this.sim.membership();
    const proposer = this.liveNodes().filter((node) => !node.isPaused(this.sim.now));
    if (proposer.length === 0) return;
    const at = p.pick(proposer);
    if (conf.votersOutgoing.length > 0) {
      // an explicit joint configuration stays until the application proposes the empty change that leaves it
      if (!conf.autoLeave) this.sim.proposeChange(at, { changes: [] });
      return;
    }
    const running = this.sim.allNodes().filter((node) => node.state !== 'decommissioned').length;
    const options: Array<() => void> = [];
    if (running < MAX_NODES) {
      options.push(() =>
        this.sim.proposeWithNewNode(at, (id) => ({ changes: [{ type: 'add_learner', nodeId: id }] })),
      );
    }
    if (conf.learners.length > 0) {
      options.push(() =>
        this.sim.proposeChange(at, { changes: [{ type: 'add_node', nodeId: p.pick(conf.learners) }] }),
      );
    }
    if (conf.voters.length > 3) {
      options.push(() =>
        this.sim.proposeChange(at, { changes: [{ type: 'remove_node', nodeId: p.pick(conf.voters) }] }),
      );
    }
    if (running < MAX_NODES && conf.voters.length >= 3) {
      const old = p.pick(conf.voters);
      options.push(() =>
        this.sim.proposeWithNewNode(at, (id) => ({
          changes: [
            { type: 'add_node', nodeId: id },
            { type: 'remove_node', nodeId: old },
          ],
          transition: p.chance(0.5) ? 'auto' : 'explicit',
        })),
      );
    }
    if (options.length > 0) p.pick(options)();
  }
}

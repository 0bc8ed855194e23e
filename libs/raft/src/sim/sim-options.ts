import type { Prng } from './prng.js';

/** Which faults a run injects and how hard. Every field is drawn from the seed by `randomFaultMix`. */
export interface FaultMix {
  /** Per-message drop probability on every link. */
  loss: number;
  /** Per-message probability of delivering a second copy. */
  duplicate: number;
  /** Message delay range in virtual time units (a tick is TICK_UNITS); a wide range reorders. */
  minDelay: number;
  maxDelay: number;
  partitions: boolean;
  crashes: boolean;
  pauses: boolean;
  clockJumps: boolean;
  snapshots: boolean;
  membership: boolean;
  leaderTransfers: boolean;
  /** Mean ticks between two fault actions. */
  faultInterval: number;
}

/** The Raft settings of every node of a run, drawn per seed so each option's code paths get exercised. */
export interface RaftTuning {
  electionTick: number;
  heartbeatTick: number;
  preVote: boolean;
  checkQuorum: boolean;
  maxSizePerMsg: number;
  maxInflightMsgs: number;
  /** Small values split snapshots into many chunks, each of which the network may lose or reorder. */
  snapshotChunkSize: number;
  /** Small values make the leader drop proposals while much is uncommitted. */
  maxUncommittedEntriesSize: number;
  /** Small values split committed entries over several Readys. */
  maxCommittedSizePerReady: number;
  disableProposalForwarding: boolean;
}

export interface SimOptions {
  seed: number;
  /** Initial voters, 3 to 7 (random when undefined). */
  nodes?: number;
  /** Ticks of the fault phase (random 100..200 when undefined). */
  faultTicks?: number;
  /** Ticks the heal phase may take to converge before it counts as a liveness failure. */
  healTicks?: number;
  clients?: number;
  faults?: FaultMix;
  /** Records a line per event; two runs of a seed must produce the same trace. */
  trace?: boolean;
  /** Deliberately broken driver: sends a Ready's messages before its writes are synced. */
  unsafeSendBeforePersist?: boolean;
  /**
   * The runtime's leader optimisation (RaftNode): a leader sends a Ready's messages before its own write is durable;
   * the write becomes durable, and the Ready is applied and advanced, at the node's next tick, so a crash in between
   * loses it. Safe because the core counts the leader's own copy only after advance.
   */
  leaderSendsFirst?: boolean;
  /** Deliberately broken reads: a node answers from its own state, without ReadIndex (stale reads). */
  unsafeLocalReads?: boolean;
  /** Checks that a restarted node kept every term and vote it revealed (default true). */
  checkDurability?: boolean;
  tuning?: RaftTuning;
  /**
   * Runs every node on a LevelStorage in `<storageDir>/<node id>` instead of a MemoryStorage; such a run is
   * asynchronous (Simulation.runOnDisk / runSimulationOnDisk).
   */
  storageDir?: string;
}

/** Virtual time units per tick: messages can arrive between two ticks. */
export const TICK_UNITS = 10;

export function randomFaultMix(prng: Prng): FaultMix {
  const minDelay = prng.range(1, 5);
  return {
    loss: prng.pick([0, 0, 0.02, 0.1, 0.25]),
    duplicate: prng.pick([0, 0, 0.05, 0.2]),
    minDelay,
    maxDelay: minDelay + prng.pick([2, 10, 30, 60]),
    partitions: prng.chance(0.6),
    crashes: prng.chance(0.6),
    pauses: prng.chance(0.4),
    clockJumps: prng.chance(0.4),
    snapshots: prng.chance(0.6),
    membership: prng.chance(0.5),
    leaderTransfers: prng.chance(0.3),
    faultInterval: prng.pick([2, 5, 10, 20]),
  };
}

export function randomRaftTuning(prng: Prng): RaftTuning {
  const electionTick = prng.range(8, 14);
  return {
    electionTick,
    heartbeatTick: prng.range(1, 3),
    preVote: prng.chance(0.8),
    checkQuorum: prng.chance(0.8),
    maxSizePerMsg: prng.pick([64, 1024, 1024 * 1024]),
    maxInflightMsgs: prng.pick([1, 4, 256]),
    snapshotChunkSize: prng.pick([16, 128, 1024 * 1024]),
    maxUncommittedEntriesSize: prng.pick([Infinity, Infinity, 512]),
    maxCommittedSizePerReady: prng.pick([Infinity, Infinity, 32]),
    disableProposalForwarding: prng.chance(0.15),
  };
}

/** Faults for the heal phase: a perfect network. */
export const PERFECT_NETWORK: Pick<FaultMix, 'loss' | 'duplicate' | 'minDelay' | 'maxDelay'> = {
  loss: 0,
  duplicate: 0,
  minDelay: 1,
  maxDelay: 3,
};

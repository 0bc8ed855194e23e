import type { NodeId, RaftConfig, RaftLogger } from '../core/types.js';
import type { ReplicatedStateMachine } from '../session/replicated-state-machine.js';
import type { PersistentStorage } from '../storage/persistent-storage.js';
import type { RaftTransport } from '../transport/raft-transport.js';

export interface RaftNodeOptions {
  id: NodeId;
  storage: PersistentStorage;
  transport: RaftTransport;
  stateMachine: ReplicatedStateMachine;
  /** Address others reach this node's transport at; default: the address the transport bound. */
  advertiseAddress?: string;
  /**
   * Members of a new cluster (id → address), the same on every founding node. Used only when the storage is empty
   * and this node is one of them; a node with state restarts from its storage.
   */
  initialMembers?: Record<NodeId, string>;
  /** Addresses of running members to join through when the storage is empty and this node is not founding. */
  join?: string[];
  /** Leader heartbeat period; also the tick of the node's clock. Default 100 ms. */
  heartbeatIntervalMs?: number;
  /**
   * The longest a follower waits without hearing from a leader before it campaigns: each node draws its timeout
   * in [electionTimeoutMs / 2, electionTimeoutMs), so a dead leader is replaced within about this long. Default
   * 1000 ms.
   */
  electionTimeoutMs?: number;
  /** Applied entries between snapshots of the state machine (which let the log be compacted). Default 10,000. */
  snapshotInterval?: number;
  /** Entries kept in the log behind a snapshot, so a follower slightly behind catches up without one. Default 5,000. */
  snapshotKeepEntries?: number;
  /** Default 10,000 ms. A timed-out proposal's outcome is unknown. */
  proposalTimeoutMs?: number;
  /** Default 5,000 ms. */
  readTimeoutMs?: number;
  /** Default 10,000 ms: how long start() keeps trying the join addresses. */
  joinTimeoutMs?: number;
  /** Core settings passed through (flow control, size limits). */
  raft?: Pick<
    RaftConfig,
    | 'maxSizePerMsg'
    | 'maxInflightMsgs'
    | 'maxUncommittedEntriesSize'
    | 'maxCommittedSizePerReady'
    | 'snapshotChunkSize'
  >;
  logger?: RaftLogger;
}

export interface RaftNodeStatus {
  id: NodeId;
  role: 'follower' | 'candidate' | 'pre_candidate' | 'leader';
  leader: NodeId | '';
  term: number;
  commit: number;
  applied: number;
  lastIndex: number;
  snapshotIndex: number;
  voters: NodeId[];
  learners: NodeId[];
  members: Record<NodeId, string>;
  /** On the leader: which members answered recently (within an election timeout) and how far they replicated. */
  followers: Record<NodeId, { match: number; recentActive: boolean }>;
}

export interface RaftNodeMetrics {
  proposals: number;
  proposalsFailed: number;
  applied: number;
  reads: number;
  readIndexRounds: number;
  readies: number;
  persists: number;
  fsyncs: number;
  snapshotsTaken: number;
  snapshotsRestored: number;
  leaderChanges: number;
}

export interface LeaderChange {
  leader: NodeId | '';
  term: number;
  /** Whether this node is now the leader. */
  isLeader: boolean;
}

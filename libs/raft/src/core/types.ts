// Public types of the deterministic Raft core. The core is a pure state machine in etcd-raft's style: the caller
// feeds ticks, messages and proposals, drains a Ready, persists, sends, applies, then calls advance().

export type NodeId = string;

/** A leader's no-op is a 'normal' entry with empty data. */
export type EntryType = 'normal' | 'conf_change';

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  data: Uint8Array;
}

export interface HardState {
  term: number;
  vote: NodeId | '';
  commit: number;
}

export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
  /** Voters of the outgoing configuration while in joint consensus, empty otherwise. */
  votersOutgoing: NodeId[];
  /** Voters of the outgoing config that become learners when the joint config is left. */
  learnersNext: NodeId[];
  /** Whether the leader proposes the leave-joint change by itself once the joint config is applied. */
  autoLeave: boolean;
}

export interface SnapshotMetadata {
  index: number;
  term: number;
  confState: ConfState;
}

export interface Snapshot {
  metadata: SnapshotMetadata;
  data: Uint8Array;
}

export type ConfChangeType = 'add_node' | 'add_learner' | 'remove_node';

export interface ConfChangeSingle {
  type: ConfChangeType;
  nodeId: NodeId;
}

/**
 * One change = simple (single-server) change; several = joint consensus; empty changes = leave joint.
 * transition (joint only): 'auto' (default) leaves the joint config automatically, 'explicit' waits for an
 * empty ConfChange proposed by the application.
 */
export interface ConfChange {
  changes: ConfChangeSingle[];
  transition?: 'auto' | 'explicit';
  context?: Uint8Array;
}

export type MessageType =
  // local messages (never sent on the wire)
  | 'hup'
  | 'beat'
  | 'prop'
  | 'unreachable'
  | 'snap_status'
  | 'check_quorum'
  | 'transfer_leader'
  | 'read_index'
  // wire messages ('prop', 'read_index', 'transfer_leader' and 'snap_status' also travel: forwarded proposals,
  // follower reads, transfer requests, and a follower's rejection of a corrupt snapshot)
  | 'app'
  | 'app_resp'
  | 'vote'
  | 'vote_resp'
  | 'prevote'
  | 'prevote_resp'
  | 'heartbeat'
  | 'heartbeat_resp'
  | 'snap'
  | 'timeout_now'
  | 'read_index_resp';

/**
 * One chunk of a snapshot carried by a 'snap' message. The leader splits Snapshot.data into `total` chunks;
 * each message's snapshot.data holds only chunk `index` (0-based). `crc32` covers this chunk's bytes,
 * `snapshotCrc32` and `snapshotSize` cover the whole data, so the follower verifies every chunk on receipt and
 * the reassembled data before it restores anything.
 */
export interface SnapshotChunk {
  index: number;
  total: number;
  crc32: number;
  snapshotCrc32: number;
  snapshotSize: number;
}

export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  logTerm: number;
  index: number;
  entries: Entry[];
  commit: number;
  snapshot?: Snapshot;
  /** Present on 'snap' messages: which chunk of the snapshot data this message carries. */
  chunk?: SnapshotChunk;
  reject: boolean;
  rejectHint: number;
  context?: Uint8Array;
}

export interface ReadState {
  index: number;
  requestCtx: Uint8Array;
}

export type RaftRole = 'follower' | 'candidate' | 'pre_candidate' | 'leader';

export interface SoftState {
  leader: NodeId | '';
  role: RaftRole;
}

export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  readStates: ReadState[];
  /** To append to stable storage BEFORE sending messages. */
  entries: Entry[];
  /** To apply to storage (before entries). */
  snapshot?: Snapshot;
  /** To apply to the state machine, in order, after persisting. */
  committedEntries: Entry[];
  /** To send after persisting hardState, snapshot and entries. */
  messages: Message[];
  /** Whether hardState/entries must be synced to disk before messages go out. */
  mustSync: boolean;
}

export interface RaftLogger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export type ReadOnlyOption = 'safe' | 'lease_based';

export interface RaftConfig {
  id: NodeId;
  /** Ticks without hearing from a leader before a follower campaigns (randomized in [e, 2e)). */
  electionTick: number;
  heartbeatTick: number;
  /** Injected randomness in [0, 1): a seeded generator makes a run reproducible. */
  random: () => number;
  /** Default true. */
  preVote?: boolean;
  /** Default true. */
  checkQuorum?: boolean;
  /** Max bytes of entry data per 'app' message (at least one entry is always sent, so 0 means one entry per
   * message). Default 1 MiB. */
  maxSizePerMsg?: number;
  /** Max in-flight 'app' messages per follower in replicate state. Default 256. */
  maxInflightMsgs?: number;
  /** Max bytes of in-flight entry data per follower, Infinity for no limit. Default Infinity. */
  maxInflightBytes?: number;
  /** Uncommitted entry bytes above which proposals are dropped. Default Infinity. */
  maxUncommittedEntriesSize?: number;
  /** Default 'safe'. 'lease_based' requires checkQuorum. */
  readOnlyOption?: ReadOnlyOption;
  /** Last applied index at restart. Default 0. */
  applied?: number;
  /** Max bytes of committed entries per Ready. Default Infinity. */
  maxCommittedSizePerReady?: number;
  disableProposalForwarding?: boolean;
  /** Bytes of snapshot data per 'snap' message. Default 1 MiB. */
  snapshotChunkSize?: number;
  logger?: RaftLogger;
}

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export interface ProgressStatus {
  match: number;
  next: number;
  state: ProgressState;
  pendingSnapshot: number;
  recentActive: boolean;
  msgAppFlowPaused: boolean;
  inflight: number;
  isLearner: boolean;
}

export interface RaftStatus {
  id: NodeId;
  hardState: HardState;
  softState: SoftState;
  applied: number;
  /** Last index of the log (stable or not). */
  lastIndex: number;
  config: ConfState;
  /** Only on the leader. */
  progress: Record<NodeId, ProgressStatus>;
  leadTransferee: NodeId | '';
}

export interface Storage {
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [lo, hi), limited to maxBytes (at least one). Throws CompactedError / UnavailableError. */
  entries(lo: number, hi: number, maxBytes?: number): Entry[];
  /** Term of the entry at index; the snapshot index's term is available. Throws CompactedError / UnavailableError. */
  term(index: number): number;
  firstIndex(): number;
  lastIndex(): number;
  /** Most recent snapshot; throws SnapshotTemporarilyUnavailableError if it is not ready yet. */
  snapshot(): Snapshot;
}

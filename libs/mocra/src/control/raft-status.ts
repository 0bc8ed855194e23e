/** One Raft member as the local node sees it. */
export interface RaftPeerStatus {
  id: string;
  addr: string;
  /** Answered the leader's last heartbeat round (or, on a follower, is reachable). */
  healthy: boolean;
}

/** The coordination state the control plane reports when `[raft]` is configured. */
export interface RaftStatus {
  nodeId: string;
  addr: string;
  /** Undefined while an election is going on. */
  leaderId: string | undefined;
  leaderAddr: string | undefined;
  term: number;
  commitIndex: number;
  peers: RaftPeerStatus[];
}

/**
 * Implemented by the Raft runtime and provided under `MOCRA_RAFT_STATUS`. Health, `/cluster/*` and the raft
 * metrics read it when present; without it the node reports itself as a single local node.
 */
export interface RaftStatusSource {
  raftStatus(): RaftStatus;
}

export const MOCRA_RAFT_STATUS = Symbol('mocra:raft-status');

/**
 * What the coordination client needs from Raft: RaftNode (through mocra's RaftService) provides it. `propose`
 * resolves with the state machine's result bytes once the command is applied on this node; `read` runs the query
 * after a ReadIndex round (linearizable); `localRead` runs it on this replica's state as it is now (may be stale
 * by the replication lag, and on a partitioned follower by more).
 */
export interface CoordinationPort {
  propose(command: Uint8Array): Promise<Uint8Array>;
  read<T>(query: () => T): Promise<T>;
  localRead<T>(query: () => T): T;
}

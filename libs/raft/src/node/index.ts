export { RaftNode } from './raft-node.js';
export type { LeaderChange, RaftNodeMetrics, RaftNodeOptions, RaftNodeStatus } from './raft-node.options.js';
export {
  RaftNodeStoppedError,
  RaftStorageFailedError,
  RaftTimeoutError,
  ReadIndexLostError,
} from './raft-node.errors.js';

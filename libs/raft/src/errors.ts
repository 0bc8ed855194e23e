// The error classes alone, as the "@mocra/raft/errors" entry: a caller that only needs to recognise Raft's errors
// (an HTTP exception filter) can import them without loading the node, storage and transport behind the main entry.
export * from './core/errors.js';
export {
  RaftNodeStoppedError,
  RaftTimeoutError,
  ReadIndexLostError,
  RaftStorageFailedError,
} from './node/raft-node.errors.js';

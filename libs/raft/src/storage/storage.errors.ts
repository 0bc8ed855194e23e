import { RaftError } from '../core/errors.js';

/** A stored record that cannot be trusted where losing it would lose committed state. Names the dir and key. */
export class StorageCorruptionError extends RaftError {
  constructor(
    readonly dir: string,
    readonly what: string,
    readonly reason: string,
  ) {
    super(`raft storage ${dir}: ${what} is corrupt: ${reason}`);
  }
}

/** The directory holds the log of another node or cluster (or of an unknown format version). */
export class StorageIdentityError extends RaftError {
  constructor(dir: string, problem: string) {
    super(`raft storage ${dir}: ${problem}`);
  }
}

// Errors thrown by the Raft core and its storage. Each names what went wrong and where.

export class RaftError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A proposal was not accepted: no leader, leader transfer in progress, uncommitted-size cap, or not a member. */
export class ProposalDroppedError extends RaftError {
  constructor(reason: string) {
    super(`raft proposal dropped: ${reason}`);
  }
}

/** The requested index precedes the storage's first index (it was compacted into a snapshot). */
export class CompactedError extends RaftError {
  constructor(index: number, firstIndex: number) {
    super(`raft storage: index ${index} is compacted (first index ${firstIndex})`);
  }
}

/** The requested index is beyond the storage's last index. */
export class UnavailableError extends RaftError {
  constructor(index: number, lastIndex: number) {
    super(`raft storage: index ${index} is unavailable (last index ${lastIndex})`);
  }
}

/** The storage is preparing a snapshot and cannot hand one out right now; the leader retries later. */
export class SnapshotTemporarilyUnavailableError extends RaftError {
  constructor() {
    super('raft storage: snapshot temporarily unavailable');
  }
}

/** A snapshot older than the storage's current one was offered (applySnapshot / createSnapshot). */
export class SnapshotOutOfDateError extends RaftError {
  constructor(index: number, current: number) {
    super(`raft storage: snapshot at index ${index} is older than the current snapshot at ${current}`);
  }
}

/** A configuration change that cannot be applied (e.g. joint change while already joint, removing all voters). */
export class ConfChangeError extends RaftError {
  constructor(reason: string) {
    super(`raft conf change rejected: ${reason}`);
  }
}

/** A caller error (invalid config, stepping a local message into the wrong API, bootstrapping twice). */
export class RaftUsageError extends RaftError {}

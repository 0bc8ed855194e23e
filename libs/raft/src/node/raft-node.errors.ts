import { RaftError } from '../core/errors.js';

/** The node is stopped (or stopping): no new proposal or read is taken, pending ones end with this. */
export class RaftNodeStoppedError extends RaftError {
  constructor(id: string) {
    super(`raft node ${id} is stopped`);
  }
}

/**
 * A proposal or read did not complete in time. For a proposal the outcome is unknown: it may still commit, so a
 * retry must be idempotent (or go through a session).
 */
export class RaftTimeoutError extends RaftError {
  constructor(what: 'proposal' | 'read' | 'join', id: string, ms: number, detail?: string) {
    super(`raft node ${id}: ${what} did not complete within ${ms} ms${detail ? ` (${detail})` : ''}`);
  }
}

/** A linearizable read lost its ReadIndex round (leader change); it is safe to retry. */
export class ReadIndexLostError extends RaftError {
  constructor(id: string, leader: string) {
    super(`raft node ${id}: read index lost in a leader change (leader now ${leader || 'unknown'}); retry`);
  }
}

/** The storage failed to persist: the node cannot go on safely and stops. */
export class RaftStorageFailedError extends RaftError {
  constructor(id: string, cause: unknown) {
    super(
      `raft node ${id}: storage failed, node stopped: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
}

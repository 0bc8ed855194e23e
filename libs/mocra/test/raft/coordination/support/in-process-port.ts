import type { CoordinationPort } from '../../../../src/raft/coordination/index.js';
import type { CoordinationStateMachine } from '../../../../src/raft/coordination/index.js';

/**
 * UNIT-TEST port: applies each proposal directly on one CoordinationStateMachine replica, with no Raft in
 * between (no log, no replication, reads are trivially linearizable). It stands in for RaftNode only where a test
 * checks the client-side classes; the state machine itself is the real one.
 */
export class InProcessPort implements CoordinationPort {
  proposals = 0;
  reads = 0;
  localReads = 0;
  private index = 0;
  /** When set, propose rejects with it (a leader election, say). */
  failWith: Error | undefined;

  constructor(readonly machine: CoordinationStateMachine) {}

  propose(command: Uint8Array): Promise<Uint8Array> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.proposals++;
    return Promise.resolve(this.machine.apply(command, ++this.index));
  }

  read<T>(query: () => T): Promise<T> {
    this.reads++;
    return Promise.resolve().then(query);
  }

  localRead<T>(query: () => T): T {
    this.localReads++;
    return query();
  }
}

import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { CodecError } from './codec.error.js';
import type { ReplicatedStateMachine } from './replicated-state-machine.js';
import { decodeSessionCommand } from './session-command.codec.js';
import { SessionTable } from './session-table.js';

export interface SessionOptions {
  /** Bound on the session table; the least recently active client is evicted first (default 1024). */
  maxClients?: number;
  /** A session idle for more than this many log entries expires (default: never, only the count bound). */
  idleExpiryEntries?: number;
}

/** What applying one log entry did; the node that took the proposal answers its client with it. */
export type SessionApplyResult =
  | { status: 'noop' }
  | { status: 'rejected'; reason: string }
  | { status: 'opened'; clientId: string; evicted: string[] }
  | { status: 'applied'; clientId: string; seq: number; result: Uint8Array }
  | { status: 'duplicate'; clientId: string; seq: number; result: Uint8Array }
  /** The client already moved past this sequence number; its result is no longer kept. Not re-applied. */
  | { status: 'stale'; clientId: string; seq: number; lastSeq: number }
  /** No session for the client (never opened, or evicted): the request is not applied, the client must reopen. */
  | { status: 'session_expired'; clientId: string; seq: number };

const SNAPSHOT_VERSION = 1;
const MAX_USER_SNAPSHOT_BYTES = 1024 * 1024 * 1024;

/**
 * Wraps a user state machine so a retried proposal applies exactly once (Raft thesis §6.3). The session table is
 * part of the snapshot, so a replica restored from a snapshot still recognises duplicates.
 */
export class SessionStateMachine {
  private readonly table: SessionTable;

  constructor(
    private readonly inner: ReplicatedStateMachine,
    options: SessionOptions = {},
  ) {
    this.table = new SessionTable(options.maxClients ?? 1024, options.idleExpiryEntries);
  }

  get sessions(): SessionTable {
    return this.table;
  }

  /**
   * Applies the data of one committed normal entry. Empty data (a leader's no-op) and malformed data are
   * deterministic no-ops: every replica sees the same bytes, so none of them may throw on them.
   */
  apply(data: Uint8Array, index: number): SessionApplyResult {
    if (data.length === 0) return { status: 'noop' };
    let command;
    try {
      command = decodeSessionCommand(data);
    } catch (error) {
      if (error instanceof CodecError) return { status: 'rejected', reason: error.message };
      throw error;
    }
    this.table.expireIdle(index);
    if (command.kind === 'open') {
      return {
        status: 'opened',
        clientId: command.clientId,
        evicted: this.table.open(command.clientId, index),
      };
    }
    const { clientId, seq } = command;
    const session = this.table.get(clientId);
    if (!session) return { status: 'session_expired', clientId, seq };
    if (seq === session.lastSeq) {
      this.table.touch(session, index);
      return { status: 'duplicate', clientId, seq, result: session.lastResult };
    }
    if (seq < session.lastSeq) {
      this.table.touch(session, index);
      return { status: 'stale', clientId, seq, lastSeq: session.lastSeq };
    }
    const result = this.inner.apply(command.payload, index);
    this.table.record(session, seq, result, index);
    return { status: 'applied', clientId, seq, result };
  }

  snapshot(): Uint8Array {
    const writer = new ByteWriter().u8(SNAPSHOT_VERSION);
    this.table.encode(writer);
    return writer.bytes(this.inner.snapshot()).finish();
  }

  /** Restores sessions and user state; on malformed data throws CodecError and leaves both untouched. */
  restore(snapshot: Uint8Array): void {
    const reader = new ByteReader(snapshot, 'SessionSnapshot');
    const version = reader.u8('version');
    if (version !== SNAPSHOT_VERSION) {
      throw new CodecError('SessionSnapshot', 'version', 0, `unsupported version ${version}`);
    }
    const staged = new SessionTable(this.table.maxClients, this.table.idleExpiryEntries);
    staged.decodeInto(reader);
    const user = reader.bytes('userSnapshot', MAX_USER_SNAPSHOT_BYTES);
    reader.end();
    this.inner.restore(user);
    this.table.replaceWith(staged);
  }
}

import type { ByteReader } from './byte-reader.js';
import type { ByteWriter } from './byte-writer.js';
import type { ClientSession } from './client-session.js';
import { CodecError } from './codec.error.js';
import { MAX_CLIENT_ID_BYTES } from './session-command.codec.js';

/** The most rows a snapshot may carry, whatever the local limit: a guard against a forged count. */
const MAX_ENCODED_SESSIONS = 1_000_000;
const MAX_RESULT_BYTES = 16 * 1024 * 1024;

/**
 * Sessions ordered by last activity (a Map keeps insertion order, and activity is a log index that only grows as
 * entries apply, so re-inserting on every touch keeps the least recently active client first). Expiry uses log
 * indexes, never wall time, so every replica evicts the same clients at the same entry.
 */
export class SessionTable {
  private readonly sessions = new Map<string, ClientSession>();

  constructor(
    readonly maxClients: number,
    /** A session idle for more than this many log entries expires; undefined = only the count bound applies. */
    readonly idleExpiryEntries?: number,
  ) {
    if (!Number.isSafeInteger(maxClients) || maxClients < 1) {
      throw new RangeError(`SessionTable.maxClients must be a positive integer, got ${maxClients}`);
    }
  }

  get size(): number {
    return this.sessions.size;
  }

  get(clientId: string): ClientSession | undefined {
    return this.sessions.get(clientId);
  }

  /** Least recently active first. */
  list(): ClientSession[] {
    return [...this.sessions.values()];
  }

  /** Drops the sessions that have been idle too long as of log index `now`; returns their ids. */
  expireIdle(now: number): string[] {
    const limit = this.idleExpiryEntries;
    if (limit === undefined) return [];
    const expired: string[] = [];
    for (const session of this.sessions.values()) {
      if (now - session.lastActivity <= limit) break;
      expired.push(session.clientId);
    }
    for (const clientId of expired) this.sessions.delete(clientId);
    return expired;
  }

  /** Creates the session if it is new (evicting the least recently active when full), or refreshes it. */
  open(clientId: string, now: number): string[] {
    const existing = this.sessions.get(clientId);
    if (existing) {
      this.touch(existing, now);
      return [];
    }
    const evicted: string[] = [];
    for (const session of this.sessions.values()) {
      if (this.sessions.size - evicted.length < this.maxClients) break;
      evicted.push(session.clientId);
    }
    for (const id of evicted) this.sessions.delete(id);
    this.sessions.set(clientId, { clientId, lastSeq: 0, lastResult: new Uint8Array(0), lastActivity: now });
    return evicted;
  }

  record(session: ClientSession, seq: number, result: Uint8Array, now: number): void {
    session.lastSeq = seq;
    session.lastResult = result;
    this.touch(session, now);
  }

  touch(session: ClientSession, now: number): void {
    session.lastActivity = now;
    this.sessions.delete(session.clientId);
    this.sessions.set(session.clientId, session);
  }

  /** Takes over the rows of another table (used to swap in a fully decoded snapshot). */
  replaceWith(other: SessionTable): void {
    this.sessions.clear();
    for (const session of other.list()) this.sessions.set(session.clientId, session);
  }

  encode(writer: ByteWriter): void {
    writer.u32(this.sessions.size);
    for (const session of this.sessions.values()) {
      writer
        .string(session.clientId)
        .u64(session.lastSeq)
        .u64(session.lastActivity)
        .bytes(session.lastResult);
    }
  }

  /** Replaces the content with the rows read from a snapshot; rows must be in activity order. */
  decodeInto(reader: ByteReader): void {
    const count = reader.u32('sessionCount');
    if (count > MAX_ENCODED_SESSIONS) {
      throw new CodecError(
        'SessionSnapshot',
        'sessionCount',
        reader.position - 4,
        `${count} exceeds ${MAX_ENCODED_SESSIONS}`,
      );
    }
    const rows = new Map<string, ClientSession>();
    let previousActivity = 0;
    for (let i = 0; i < count; i++) {
      const at = reader.position;
      const clientId = reader.string(`sessions[${i}].clientId`, MAX_CLIENT_ID_BYTES);
      const lastSeq = reader.u64(`sessions[${i}].lastSeq`);
      const lastActivity = reader.u64(`sessions[${i}].lastActivity`);
      const lastResult = reader.bytes(`sessions[${i}].lastResult`, MAX_RESULT_BYTES);
      if (lastActivity < previousActivity) {
        throw new CodecError(
          'SessionSnapshot',
          `sessions[${i}].lastActivity`,
          at,
          'is not in activity order',
        );
      }
      if (rows.has(clientId)) {
        throw new CodecError(
          'SessionSnapshot',
          `sessions[${i}].clientId`,
          at,
          `${JSON.stringify(clientId)} repeats`,
        );
      }
      previousActivity = lastActivity;
      rows.set(clientId, { clientId, lastSeq, lastResult, lastActivity });
    }
    this.sessions.clear();
    for (const [clientId, row] of rows) this.sessions.set(clientId, row);
  }
}

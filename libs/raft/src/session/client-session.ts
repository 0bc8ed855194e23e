/** One client's row in the session table: the last applied sequence number, its result, and when (log index). */
export interface ClientSession {
  clientId: string;
  lastSeq: number;
  lastResult: Uint8Array;
  /** Log index of the client's last command: the clock for expiry, identical on every replica. */
  lastActivity: number;
}

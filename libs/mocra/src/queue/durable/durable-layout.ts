/**
 * Sublevels of a durable queue's classic-level database. Everything lives in one database so that one `db.batch`
 * can commit queue records, leases, run state, seen-set members and dead letters together.
 */
export const DURABLE_SUBLEVELS = {
  /** Message records: key = message key (route, priority, sequence), value = message record. */
  queue: 'queue',
  /** Deliveries in progress: key = message key, value = lease (owner, deadline). */
  lease: 'lease',
  /** Database identity, format version and the sequence high-water mark. */
  meta: 'meta',
  /**
   * Records that could not be read at open, kept for inspection: key = time of the move (8 bytes BE) + original
   * key, value = the reason, a newline, the original value.
   */
  quarantine: 'quarantine',
  /** DurableStateStore key-value pairs. */
  state: 'state',
  /** DurableStateStore sets: key = set name, 0x00, member. */
  sets: 'sets',
  /** LevelDeadLetterStore records. */
  dlq: 'dlq',
} as const;

export const META_KEYS = {
  /** Layout version of this database. */
  format: 'format',
  /** Random id of this database, the prefix of its message ids. */
  dbId: 'db-id',
  /** Next sequence number (8 bytes, big-endian), written with every batch that allocated one. */
  seq: 'seq',
} as const;

export const DURABLE_FORMAT = 1;

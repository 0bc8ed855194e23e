/** Bounds every decoded field is checked against (commands and snapshots alike). */
export const MAX_KEY_BYTES = 1024;
export const MAX_NAME_BYTES = 256;
export const MAX_TEXT_BYTES = 4096;
/** A stored value (already MessagePack-encoded): large enough for a cached response body. */
export const MAX_VALUE_BYTES = 8 * 1024 * 1024;
export const MAX_BATCH_WRITES = 1024;
/**
 * Largest proposer clock and cron fire time a command may carry (epoch ms, year ~5100): low enough that a clock
 * plus the longest TTL stays an exact integer, so every stored instant passes the snapshot's checks.
 */
export const MAX_CLOCK_MS = 100_000_000_000_000;
/** Stored instants (clock + TTL or lease): exact in a double. */
export const MAX_TIME_MS = Number.MAX_SAFE_INTEGER;
export const MAX_TTL_MS = 10 * 365 * 24 * 3600 * 1000;
export const MAX_LEASE_MS = 7 * 24 * 3600 * 1000;
export const MAX_RATE_PER_SEC = 1_000_000;
export const MAX_BURST = 1_000_000;
export const MAX_GRANT_WANT = 1_000_000;
/** A grant never books slots further ahead than this, so one greedy holder cannot reserve the far future. */
export const MAX_GRANT_HORIZON_MS = 60_000;
export const MAX_INCR = Number.MAX_SAFE_INTEGER;
/** Expired records dropped per command: bounded work per entry, yet the state shrinks faster than one write adds. */
export const PURGE_PER_COMMAND = 64;
/** A rate-limit holder counts as active on a key this long after its last grant (sizes everyone's batches). */
export const RATE_HOLDER_WINDOW_MS = 5_000;

// Key layout of the durable Raft log in one classic-level database. Entry keys are a prefix byte and the index as a
// fixed-width big-endian integer, so the database's byte order is log order and a range scan reads the log.

/** Format version, node id and cluster id: which node's log a directory holds. */
export const META_KEY = Uint8Array.of(0x6d); // 'm'
/** Term, vote and commit. */
export const HARD_STATE_KEY = Uint8Array.of(0x68); // 'h'
/** Snapshot metadata and data, in one record so they never disagree. */
export const SNAPSHOT_KEY = Uint8Array.of(0x73); // 's'
/** Index and term of the entry just before the first stored one (the compaction point). */
export const LOG_START_KEY = Uint8Array.of(0x6f); // 'o'

const ENTRY_PREFIX = 0x65; // 'e'
const ENTRY_KEY_LENGTH = 9;

export function entryKey(index: number): Uint8Array {
  const key = new Uint8Array(ENTRY_KEY_LENGTH);
  key[0] = ENTRY_PREFIX;
  new DataView(key.buffer).setBigUint64(1, BigInt(index));
  return key;
}

/** The index an entry key stands for, or undefined when the bytes are not an entry key. */
export function entryIndexOfKey(key: Uint8Array): number | undefined {
  if (key.length !== ENTRY_KEY_LENGTH || key[0] !== ENTRY_PREFIX) return undefined;
  const index = new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(1);
  return index > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(index);
}

/** First key past every entry key: the upper bound of a scan over the whole log. */
export const ENTRY_KEYS_END = Uint8Array.of(ENTRY_PREFIX + 1);

export function describeKey(key: Uint8Array): string {
  const index = entryIndexOfKey(key);
  if (index !== undefined) return `entry ${index}`;
  if (key.length === 1) {
    switch (key[0]) {
      case META_KEY[0]:
        return 'meta';
      case HARD_STATE_KEY[0]:
        return 'hard state';
      case SNAPSHOT_KEY[0]:
        return 'snapshot';
      case LOG_START_KEY[0]:
        return 'log start';
    }
  }
  return `unknown key 0x${Buffer.from(key).toString('hex')}`;
}

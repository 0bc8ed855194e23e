// Above this share of occupied slots, linear probing degrades quickly; the table then doubles.
const MAX_LOAD = 0.7;
const MIN_SLOTS = 16;

/**
 * Per-run dedup set of request fingerprints that keeps 8 bytes per entry and no strings: the first 16 hex chars
 * of a fingerprint become a 64-bit key (two uint32) stored in an open-addressing table (linear probing) over one
 * Uint32Array. Two fingerprints that share their first 64 bits count as the same request; for sha1 output that
 * is ~3e-8 likely among a million entries. `addText` keys other strings (a store's item ids) by a 64-bit hash of
 * their own; a set should hold one kind of key or the other.
 */
export class SeenSet {
  // Slot i holds the key in words 2i (high) and 2i+1 (low); (0, 0) marks an empty slot.
  private table: Uint32Array;
  private mask: number;
  private growAt: number;
  private count = 0;
  // The all-zero key cannot live in the table (it is the empty marker), so it is tracked apart.
  private hasZeroKey = false;
  private readonly initialSlots: number;

  constructor(expectedSize = 1024) {
    let slots = MIN_SLOTS;
    while (slots * MAX_LOAD < expectedSize) slots *= 2;
    this.initialSlots = slots;
    this.table = new Uint32Array(slots * 2);
    this.mask = slots - 1;
    this.growAt = Math.floor(slots * MAX_LOAD);
  }

  /** Number of distinct fingerprints added. */
  get size(): number {
    return this.count;
  }

  /** Adds a fingerprint; true if it was not in the set yet. */
  add(fingerprint: string): boolean {
    return this.addKey(parseHex32(fingerprint, 0), parseHex32(fingerprint, 8));
  }

  /**
   * Adds the pair (`text`, `n`) by a 64-bit non-cryptographic hash of both: for keys made from one's own data
   * (no adversary picks them), where a sha1 per key would cost more than the rest of the lookup.
   */
  addText(text: string, n = 0): boolean {
    let h1 = 0xdeadbeef ^ n;
    let h2 = 0x41c6ce57 ^ Math.imul(n, 0x9e3779b1);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return this.addKey(h1 >>> 0, h2 >>> 0);
  }

  private addKey(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) {
      if (this.hasZeroKey) return false;
      this.hasZeroKey = true;
      this.count++;
      return true;
    }
    const table = this.table;
    const mask = this.mask;
    let slot = slotOf(hi, lo, mask);
    while (true) {
      const h = table[slot * 2]!;
      const l = table[slot * 2 + 1]!;
      if (h === 0 && l === 0) break;
      if (h === hi && l === lo) return false;
      slot = (slot + 1) & mask;
    }
    table[slot * 2] = hi;
    table[slot * 2 + 1] = lo;
    this.count++;
    if (this.count > this.growAt) this.grow();
    return true;
  }

  has(fingerprint: string): boolean {
    const hi = parseHex32(fingerprint, 0);
    const lo = parseHex32(fingerprint, 8);
    if (hi === 0 && lo === 0) return this.hasZeroKey;
    const table = this.table;
    const mask = this.mask;
    let slot = slotOf(hi, lo, mask);
    while (true) {
      const h = table[slot * 2]!;
      const l = table[slot * 2 + 1]!;
      if (h === 0 && l === 0) return false;
      if (h === hi && l === lo) return true;
      slot = (slot + 1) & mask;
    }
  }

  /** Empties the set and shrinks it back to its initial capacity. */
  clear(): void {
    this.table = new Uint32Array(this.initialSlots * 2);
    this.mask = this.initialSlots - 1;
    this.growAt = Math.floor(this.initialSlots * MAX_LOAD);
    this.count = 0;
    this.hasZeroKey = false;
  }

  private grow(): void {
    const old = this.table;
    const slots = (this.mask + 1) * 2;
    const table = new Uint32Array(slots * 2);
    const mask = slots - 1;
    for (let i = 0; i < old.length; i += 2) {
      const hi = old[i]!;
      const lo = old[i + 1]!;
      if (hi === 0 && lo === 0) continue;
      let slot = slotOf(hi, lo, mask);
      while (table[slot * 2] !== 0 || table[slot * 2 + 1] !== 0) slot = (slot + 1) & mask;
      table[slot * 2] = hi;
      table[slot * 2 + 1] = lo;
    }
    this.table = table;
    this.mask = mask;
    this.growAt = Math.floor(slots * MAX_LOAD);
  }
}

// Fingerprints are hash output already, but a multiplicative mix keeps the table sound for any hex keys.
function slotOf(hi: number, lo: number, mask: number): number {
  let h = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1);
  h ^= h >>> 15;
  return h & mask;
}

// Hex digit value by char code, -1 for anything else (a table lookup beats range branches on the hot path).
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[65 + i] = 10 + i;
  HEX_VALUE[97 + i] = 10 + i;
}

function parseHex32(s: string, offset: number): number {
  if (s.length < offset + 8)
    throw new RangeError(`SeenSet: ${JSON.stringify(s)} is shorter than 16 hex chars`);
  let v = 0;
  for (let i = offset; i < offset + 8; i++) {
    const d = HEX_VALUE[s.charCodeAt(i) & 0x7f]!;
    if (d < 0 || s.charCodeAt(i) > 0x7f)
      throw new RangeError(`SeenSet: ${JSON.stringify(s)} is not a hex fingerprint`);
    v = (v << 4) | d;
  }
  return v >>> 0;
}

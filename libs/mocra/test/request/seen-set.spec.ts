import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Request } from '../../src/request/request.js';
import { SeenSet } from '../../src/request/seen-set.js';

const N = 1_000_000;

// murmur3's finaliser: a bijection on uint32, so distinct indexes give distinct keys (no duplicate by accident)
// that look random. Fingerprints are minted on the fly so the test holds no array of a million strings.
function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

const seed = randomBytes(4).readUInt32LE(0);

const HEX4 = Array.from({ length: 65536 }, (_, i) => i.toString(16).padStart(4, '0'));

function fingerprintOf(i: number): string {
  const hi = fmix32((i ^ seed) >>> 0);
  const lo = fmix32((hi + 0x9e3779b9) >>> 0);
  return HEX4[hi >>> 16]! + HEX4[hi & 0xffff]! + HEX4[lo >>> 16]! + HEX4[lo & 0xffff]!;
}

/** An index below i that was itself added (not a repeat slot). */
function earlierIndex(i: number): number {
  const j = fmix32(i) % i;
  return j % 4 === 3 ? j - 1 : j;
}

describe('SeenSet', () => {
  it('tells new from repeated among 1,000,000 random fingerprints', () => {
    const set = new SeenSet();
    // Every 4th add repeats an earlier fingerprint, upper-cased (hex case must not matter).
    let fresh = 0;
    let wrong = 0;
    for (let i = 0; i < N; i++) {
      const isRepeat = i % 4 === 3;
      const fp = isRepeat ? fingerprintOf(earlierIndex(i)).toUpperCase() : fingerprintOf(i);
      if (set.add(fp) === isRepeat) wrong++;
      if (!isRepeat) fresh++;
    }
    expect(wrong).toBe(0);
    expect(set.size).toBe(fresh);

    let missing = 0;
    let falseHits = 0;
    for (let i = 0; i < N; i += 4) {
      if (!set.has(fingerprintOf(i))) missing++;
      if (set.has(fingerprintOf(N + i))) falseHits++;
    }
    expect(missing).toBe(0);
    expect(falseHits).toBe(0);
    expect(set.size).toBe(fresh);
  });

  it('works with request fingerprints and the all-zero key', () => {
    const set = new SeenSet(4);
    const a = Request.get('http://a.test/?x=1').fingerprint();
    expect(set.add(a)).toBe(true);
    expect(set.add(Request.get('http://a.test/?x=1#frag').fingerprint())).toBe(false);
    expect(set.add('0'.repeat(32))).toBe(true);
    expect(set.has('0'.repeat(32))).toBe(true);
    expect(set.add('0'.repeat(32))).toBe(false);
    expect(set.size).toBe(2);
  });

  it('clear() forgets everything', () => {
    const set = new SeenSet();
    for (let i = 0; i < 100; i++) set.add(Request.get(`http://a.test/${i}`).fingerprint());
    expect(set.size).toBe(100);
    set.clear();
    expect(set.size).toBe(0);
    expect(set.has(Request.get('http://a.test/5').fingerprint())).toBe(false);
    expect(set.add(Request.get('http://a.test/5').fingerprint())).toBe(true);
  });

  it('addText keys (text, n) pairs: each new pair once, no collisions among 200,000 item-like keys', () => {
    const set = new SeenSet();
    let fresh = 0;
    // Request ids that differ in one character and item indexes that differ by one: the near misses a store sees.
    for (let r = 0; r < 20_000; r++) {
      const id = `0192f3a1b2c3d4e5${r.toString(16).padStart(16, '0')}`;
      for (let i = 0; i < 10; i++) if (set.addText(id, i)) fresh++;
    }
    expect(fresh).toBe(200_000);
    expect(set.size).toBe(200_000);
    expect(set.addText('0192f3a1b2c3d4e5' + (7).toString(16).padStart(16, '0'), 3)).toBe(false);
    expect(set.addText('0192f3a1b2c3d4e5' + (7).toString(16).padStart(16, '0'), 10)).toBe(true);
    // The text and the number are both part of the key: "a#1" with 0 is not "a" with 1.
    expect(set.addText('a', 1)).toBe(true);
    expect(set.addText('a#1', 0)).toBe(true);
    expect(set.addText('a', 1)).toBe(false);
  });

  it('rejects strings that are not hex fingerprints', () => {
    const set = new SeenSet();
    expect(() => set.add('abc')).toThrow(/shorter than 16/);
    expect(() => set.add('zzzzzzzzzzzzzzzzzzzz')).toThrow(/not a hex fingerprint/);
  });
});

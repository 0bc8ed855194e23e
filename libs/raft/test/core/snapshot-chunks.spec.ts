import { describe, expect, it } from 'vitest';
import { crc32, type Snapshot } from '../../src/index.js';
import { SnapshotAssembler, splitSnapshot } from '../../src/core/snapshot-chunks.js';

const enc = new TextEncoder();
const cs = { voters: ['1'], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
const snap = (data: string, index = 7): Snapshot => ({
  metadata: { index, term: 2, confState: cs },
  data: enc.encode(data),
});

describe('crc32', () => {
  it('matches the IEEE check value', () => {
    expect(crc32(enc.encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('continues over concatenated buffers', () => {
    expect(crc32(enc.encode('6789'), crc32(enc.encode('12345')))).toBe(0xcbf43926);
  });
});

describe('snapshot chunks', () => {
  it('splits with per-chunk and whole checksums and reassembles in any order', () => {
    const s = snap('the quick brown fox jumps');
    const parts = splitSnapshot(s, 10);
    expect(parts.map((p) => p.snapshot.data.length)).toEqual([10, 10, 5]);
    for (const p of parts) {
      expect(p.chunk.crc32).toBe(crc32(p.snapshot.data));
      expect(p.chunk.snapshotCrc32).toBe(crc32(s.data));
    }
    const a = new SnapshotAssembler();
    expect(a.add('1', 2, parts[2]!.snapshot, parts[2]!.chunk).status).toBe('incomplete');
    expect(a.add('1', 2, parts[0]!.snapshot, parts[0]!.chunk).status).toBe('incomplete');
    expect(a.add('1', 2, parts[0]!.snapshot, parts[0]!.chunk).status).toBe('incomplete');
    const res = a.add('1', 2, parts[1]!.snapshot, parts[1]!.chunk);
    expect(res.status).toBe('complete');
    if (res.status === 'complete')
      expect(new TextDecoder().decode(res.snapshot.data)).toBe('the quick brown fox jumps');
  });

  it('an empty snapshot travels as one empty chunk', () => {
    const parts = splitSnapshot(snap(''), 10);
    expect(parts).toHaveLength(1);
    const res = new SnapshotAssembler().add('1', 2, parts[0]!.snapshot, parts[0]!.chunk);
    expect(res.status).toBe('complete');
  });

  it('rejects a chunk whose bytes do not match its checksum', () => {
    const parts = splitSnapshot(snap('abcdefghij'), 4);
    const bad = Uint8Array.from(parts[1]!.snapshot.data);
    bad[0] = bad[0]! ^ 1;
    const a = new SnapshotAssembler();
    a.add('1', 2, parts[0]!.snapshot, parts[0]!.chunk);
    const res = a.add('1', 2, { ...parts[1]!.snapshot, data: bad }, parts[1]!.chunk);
    expect(res).toEqual({ status: 'corrupt', reason: 'chunk 2/3 checksum mismatch' });
    expect(a.inProgress()).toBe(false);
  });

  it('rejects chunks that are individually fine but do not form the announced snapshot', () => {
    // Chunk 2 comes from a different snapshot with the same metadata and announced checksum.
    const good = splitSnapshot(snap('abcdefgh'), 4);
    const other = splitSnapshot(snap('abcdWXYZ'), 4);
    const forged = { ...other[1]!.chunk, snapshotCrc32: good[1]!.chunk.snapshotCrc32 };
    const a = new SnapshotAssembler();
    a.add('1', 2, good[0]!.snapshot, good[0]!.chunk);
    const res = a.add('1', 2, other[1]!.snapshot, forged);
    expect(res).toEqual({ status: 'corrupt', reason: 'reassembled snapshot checksum mismatch' });
  });

  it('a chunk of another snapshot starts a new stream', () => {
    const old = splitSnapshot(snap('0123456789', 7), 5);
    const neu = splitSnapshot(snap('abcdefghij', 9), 5);
    const a = new SnapshotAssembler();
    a.add('1', 2, old[0]!.snapshot, old[0]!.chunk);
    a.add('1', 2, neu[0]!.snapshot, neu[0]!.chunk);
    // The old stream's second chunk does not complete anything: its first chunk was discarded.
    expect(a.add('1', 2, old[1]!.snapshot, old[1]!.chunk).status).toBe('incomplete');
    a.add('1', 2, neu[0]!.snapshot, neu[0]!.chunk);
    const res = a.add('1', 2, neu[1]!.snapshot, neu[1]!.chunk);
    expect(res.status).toBe('complete');
    if (res.status === 'complete') expect(res.snapshot.metadata.index).toBe(9);
  });

  it('rejects out-of-range chunk numbers', () => {
    const p = splitSnapshot(snap('abc'), 4)[0]!;
    const res = new SnapshotAssembler().add('1', 2, p.snapshot, { ...p.chunk, index: 3 });
    expect(res.status).toBe('corrupt');
  });
});

import { crc32 } from './crc32.js';
import type { NodeId, Snapshot, SnapshotChunk } from './types.js';

export interface SnapshotPart {
  snapshot: Snapshot;
  chunk: SnapshotChunk;
}

/**
 * Splits a snapshot's data into chunks of at most chunkSize bytes, each with its own CRC-32 and the CRC-32 of
 * the whole data. An empty snapshot still travels as one (empty) chunk. Chunks share the data buffer.
 */
export function splitSnapshot(s: Snapshot, chunkSize: number): SnapshotPart[] {
  const size = s.data.byteLength;
  const total = Math.max(1, Math.ceil(size / chunkSize));
  const whole = crc32(s.data);
  const parts: SnapshotPart[] = [];
  for (let i = 0; i < total; i++) {
    const data = s.data.subarray(i * chunkSize, Math.min(size, (i + 1) * chunkSize));
    parts.push({
      snapshot: { metadata: s.metadata, data },
      chunk: { index: i, total, crc32: crc32(data), snapshotCrc32: whole, snapshotSize: size },
    });
  }
  return parts;
}

export type AssemblyResult =
  | { status: 'incomplete' }
  | { status: 'complete'; snapshot: Snapshot }
  | { status: 'corrupt'; reason: string };

/**
 * Follower-side reassembly of one snapshot stream. Chunks may arrive in any order; a chunk of a different
 * snapshot (other leader, term, index or checksum) starts a new stream. Every chunk is checked on arrival, the
 * whole data once complete; nothing is restored from data that fails a check.
 */
export class SnapshotAssembler {
  private key = '';
  private parts: Array<Uint8Array | undefined> = [];
  private received = 0;

  add(from: NodeId, term: number, snap: Snapshot, chunk: SnapshotChunk): AssemblyResult {
    if (chunk.total < 1 || chunk.index < 0 || chunk.index >= chunk.total) {
      this.reset();
      return { status: 'corrupt', reason: `chunk ${chunk.index} of ${chunk.total} is out of range` };
    }
    if (crc32(snap.data) !== chunk.crc32) {
      this.reset();
      return { status: 'corrupt', reason: `chunk ${chunk.index + 1}/${chunk.total} checksum mismatch` };
    }
    const m = snap.metadata;
    const key = `${from}|${term}|${m.index}|${m.term}|${chunk.total}|${chunk.snapshotCrc32}|${chunk.snapshotSize}`;
    if (key !== this.key) {
      this.key = key;
      this.parts = new Array<Uint8Array | undefined>(chunk.total);
      this.received = 0;
    }
    if (this.parts[chunk.index] === undefined) {
      this.parts[chunk.index] = snap.data;
      this.received++;
    }
    if (this.received < chunk.total) return { status: 'incomplete' };
    const data = new Uint8Array(chunk.snapshotSize);
    let off = 0;
    for (const p of this.parts) {
      const part = p ?? new Uint8Array(0);
      if (off + part.byteLength > data.byteLength) {
        this.reset();
        return { status: 'corrupt', reason: `chunks exceed the announced size ${chunk.snapshotSize}` };
      }
      data.set(part, off);
      off += part.byteLength;
    }
    this.reset();
    if (off !== chunk.snapshotSize) {
      return { status: 'corrupt', reason: `reassembled ${off} bytes, expected ${chunk.snapshotSize}` };
    }
    if (crc32(data) !== chunk.snapshotCrc32) {
      return { status: 'corrupt', reason: 'reassembled snapshot checksum mismatch' };
    }
    return { status: 'complete', snapshot: { metadata: m, data } };
  }

  reset(): void {
    this.key = '';
    this.parts = [];
    this.received = 0;
  }

  inProgress(): boolean {
    return this.key !== '';
  }
}

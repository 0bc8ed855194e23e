// Values of the durable Raft log. Every value is framed as [kind u8][payload length u32][crc32 u32][payload]; the
// CRC covers the kind byte and the payload, so a value written under the wrong key kind, cut short, padded or
// bit-flipped is caught before any field is trusted.

import { crc32 } from '../core/crc32.js';
import type { ConfState, Entry, HardState, NodeId, Snapshot, SnapshotMetadata } from '../core/types.js';
import { ByteReader } from '../session/byte-reader.js';
import { ByteWriter } from '../session/byte-writer.js';
import { CodecError } from '../session/codec.error.js';

export const STORAGE_FORMAT_VERSION = 1;

const FRAME_HEADER = 9;
const MAX_ID_BYTES = 1024;
const MAX_MEMBERS = 100_000;

const RecordKind = { Meta: 1, HardState: 2, Snapshot: 3, LogStart: 4, Entry: 5 } as const;
type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

const KIND_NAMES: Record<RecordKind, string> = {
  [RecordKind.Meta]: 'meta',
  [RecordKind.HardState]: 'hard state',
  [RecordKind.Snapshot]: 'snapshot',
  [RecordKind.LogStart]: 'log start',
  [RecordKind.Entry]: 'entry',
};

/** A stored value that fails validation; `reason` says which check failed. */
export class RecordError extends Error {
  override readonly name = 'RecordError';
  constructor(readonly reason: string) {
    super(reason);
  }
}

export interface StorageMeta {
  formatVersion: number;
  nodeId: NodeId;
  clusterId: string;
}

export interface LogStart {
  index: number;
  term: number;
}

function frame(kind: RecordKind, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER + payload.length);
  const view = new DataView(out.buffer);
  out[0] = kind;
  view.setUint32(1, payload.length);
  view.setUint32(5, crc32(payload, crc32(out.subarray(0, 1))));
  out.set(payload, FRAME_HEADER);
  return out;
}

function unframe(value: Uint8Array, kind: RecordKind): Uint8Array {
  if (value.length < FRAME_HEADER) {
    throw new RecordError(`${value.length} bytes is shorter than the ${FRAME_HEADER}-byte record header`);
  }
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const actualKind = value[0] as number;
  if (actualKind !== kind) {
    const name = (KIND_NAMES as Record<number, string>)[actualKind] ?? `unknown kind ${actualKind}`;
    throw new RecordError(`holds a ${name} record where a ${KIND_NAMES[kind]} record belongs`);
  }
  const length = view.getUint32(1);
  if (length !== value.length - FRAME_HEADER) {
    throw new RecordError(
      `record header says ${length} payload bytes but ${value.length - FRAME_HEADER} are stored (torn write?)`,
    );
  }
  const payload = value.subarray(FRAME_HEADER);
  const expected = view.getUint32(5);
  const actual = crc32(payload, crc32(value.subarray(0, 1)));
  if (actual !== expected) {
    throw new RecordError(`checksum mismatch (stored crc32 ${hex32(expected)}, computed ${hex32(actual)})`);
  }
  return payload;
}

/** Runs a payload decoder, turning layout errors into RecordErrors. */
function decodeWith<T>(value: Uint8Array, kind: RecordKind, decode: (reader: ByteReader) => T): T {
  // classic-level hands out Buffers: a plain view keeps Buffer out of decoded data (equality, JSON, subclass methods)
  const plain = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  const reader = new ByteReader(unframe(plain, kind), KIND_NAMES[kind]);
  try {
    const result = decode(reader);
    reader.end();
    return result;
  } catch (error) {
    if (error instanceof CodecError) throw new RecordError(`malformed payload: ${error.message}`);
    throw error;
  }
}

export function encodeMeta(meta: StorageMeta): Uint8Array {
  const w = new ByteWriter().u32(meta.formatVersion).string(meta.nodeId).string(meta.clusterId);
  return frame(RecordKind.Meta, w.finish());
}

export function decodeMeta(value: Uint8Array): StorageMeta {
  return decodeWith(value, RecordKind.Meta, (r) => ({
    formatVersion: r.u32('formatVersion'),
    nodeId: r.string('nodeId', MAX_ID_BYTES),
    clusterId: r.string('clusterId', MAX_ID_BYTES),
  }));
}

export function encodeHardState(hs: HardState): Uint8Array {
  return frame(RecordKind.HardState, new ByteWriter().u64(hs.term).string(hs.vote).u64(hs.commit).finish());
}

export function decodeHardState(value: Uint8Array): HardState {
  return decodeWith(value, RecordKind.HardState, (r) => ({
    term: r.u64('term'),
    vote: r.string('vote', MAX_ID_BYTES),
    commit: r.u64('commit'),
  }));
}

export function encodeLogStart(start: LogStart): Uint8Array {
  return frame(RecordKind.LogStart, new ByteWriter().u64(start.index).u64(start.term).finish());
}

export function decodeLogStart(value: Uint8Array): LogStart {
  return decodeWith(value, RecordKind.LogStart, (r) => ({ index: r.u64('index'), term: r.u64('term') }));
}

const ENTRY_TYPES = ['normal', 'conf_change'] as const;

export function encodeEntry(entry: Entry): Uint8Array {
  const w = new ByteWriter()
    .u64(entry.term)
    .u64(entry.index)
    .u8(ENTRY_TYPES.indexOf(entry.type))
    .bytes(entry.data);
  return frame(RecordKind.Entry, w.finish());
}

export function decodeEntry(value: Uint8Array): Entry {
  return decodeWith(value, RecordKind.Entry, (r) => ({
    term: r.u64('term'),
    index: r.u64('index'),
    type: ENTRY_TYPES[r.tag('type', [0, 1])],
    data: r.bytes('data', Number.MAX_SAFE_INTEGER),
  }));
}

function writeIds(w: ByteWriter, ids: readonly NodeId[]): void {
  w.u32(ids.length);
  for (const id of ids) w.string(id);
}

function readIds(r: ByteReader, field: string): NodeId[] {
  const count = r.u32(`${field}.count`);
  if (count > MAX_MEMBERS)
    throw new RecordError(`${field} lists ${count} members (more than ${MAX_MEMBERS})`);
  const ids: NodeId[] = [];
  for (let i = 0; i < count; i++) ids.push(r.string(`${field}[${i}]`, MAX_ID_BYTES));
  return ids;
}

function writeConfState(w: ByteWriter, cs: ConfState): void {
  writeIds(w, cs.voters);
  writeIds(w, cs.learners);
  writeIds(w, cs.votersOutgoing);
  writeIds(w, cs.learnersNext);
  w.u8(cs.autoLeave ? 1 : 0);
}

function readConfState(r: ByteReader): ConfState {
  return {
    voters: readIds(r, 'voters'),
    learners: readIds(r, 'learners'),
    votersOutgoing: readIds(r, 'votersOutgoing'),
    learnersNext: readIds(r, 'learnersNext'),
    autoLeave: r.tag('autoLeave', [0, 1]) === 1,
  };
}

export function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  const w = new ByteWriter().u64(snapshot.metadata.index).u64(snapshot.metadata.term);
  writeConfState(w, snapshot.metadata.confState);
  w.bytes(snapshot.data);
  return frame(RecordKind.Snapshot, w.finish());
}

export function decodeSnapshot(value: Uint8Array): Snapshot {
  return decodeWith(value, RecordKind.Snapshot, (r) => {
    const metadata: SnapshotMetadata = {
      index: r.u64('index'),
      term: r.u64('term'),
      confState: readConfState(r),
    };
    return { metadata, data: r.bytes('data', Number.MAX_SAFE_INTEGER) };
  });
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

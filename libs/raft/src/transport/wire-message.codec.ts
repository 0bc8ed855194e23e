// Raft messages travel as positional msgpack arrays: no field names on the wire, and the decoder checks every
// position against the Message contract before anything reaches the core.
import type {
  ConfState,
  Entry,
  EntryType,
  Message,
  MessageType,
  Snapshot,
  SnapshotChunk,
} from '../core/types.js';
import { WireDecodeError } from './wire-decode.error.js';

/** Append-only: a type's position is its wire code, so reordering would change the protocol. */
const MESSAGE_TYPES: readonly MessageType[] = [
  'hup',
  'beat',
  'prop',
  'unreachable',
  'snap_status',
  'check_quorum',
  'transfer_leader',
  'read_index',
  'app',
  'app_resp',
  'vote',
  'vote_resp',
  'prevote',
  'prevote_resp',
  'heartbeat',
  'heartbeat_resp',
  'snap',
  'timeout_now',
  'read_index_resp',
];
const TYPE_CODE = new Map<MessageType, number>(MESSAGE_TYPES.map((t, i) => [t, i]));

/** Local messages a node steps into itself; one arriving from the network would let a peer forge elections. */
const LOCAL_ONLY = new Set<MessageType>(['hup', 'beat', 'unreachable', 'check_quorum']);

const ENTRY_TYPES: readonly EntryType[] = ['normal', 'conf_change'];

const MESSAGE_FIELDS = 13;

export function isWireMessageType(type: MessageType): boolean {
  return TYPE_CODE.has(type) && !LOCAL_ONLY.has(type);
}

export type WireMessage = unknown[];

export function encodeMessage(m: Message): WireMessage {
  const code = TYPE_CODE.get(m.type);
  if (code === undefined || LOCAL_ONLY.has(m.type)) {
    throw new Error(`raft transport: message type '${m.type}' (to ${m.to}) is not sent over the network`);
  }
  const entries = new Array<unknown[]>(m.entries.length);
  for (let i = 0; i < m.entries.length; i++) {
    const e = m.entries[i]!;
    entries[i] = [e.term, e.index, e.type === 'normal' ? 0 : 1, e.data];
  }
  return [
    code,
    m.from,
    m.to,
    m.term,
    m.logTerm,
    m.index,
    m.commit,
    m.reject,
    m.rejectHint,
    entries,
    m.snapshot ? encodeSnapshot(m.snapshot) : null,
    m.chunk
      ? [m.chunk.index, m.chunk.total, m.chunk.crc32, m.chunk.snapshotCrc32, m.chunk.snapshotSize]
      : null,
    m.context ?? null,
  ];
}

function encodeSnapshot(s: Snapshot): unknown[] {
  const c = s.metadata.confState;
  return [
    s.metadata.index,
    s.metadata.term,
    [c.voters, c.learners, c.votersOutgoing, c.learnersNext, c.autoLeave],
    s.data,
  ];
}

/** Rough wire size, for queue byte limits and batch cuts; exact sizes are checked after encoding. */
export function estimateMessageBytes(m: Message): number {
  let n = 48 + m.from.length + m.to.length;
  for (const e of m.entries) n += 24 + e.data.byteLength;
  if (m.snapshot) n += 64 + m.snapshot.data.byteLength + 16 * m.snapshot.metadata.confState.voters.length;
  if (m.context) n += 5 + m.context.byteLength;
  return n;
}

export function decodeMessage(value: unknown, path: string): Message {
  const t = tuple(value, path, MESSAGE_FIELDS, MESSAGE_FIELDS);
  const code = uint(t[0], `${path}.type`);
  const type = MESSAGE_TYPES[code];
  if (type === undefined) throw new WireDecodeError(`${path}.type`, `unknown message type code ${code}`);
  if (LOCAL_ONLY.has(type))
    throw new WireDecodeError(`${path}.type`, `local message type '${type}' on the wire`);
  const message: Message = {
    type,
    from: nodeId(t[1], `${path}.from`),
    to: nodeId(t[2], `${path}.to`),
    term: uint(t[3], `${path}.term`),
    logTerm: uint(t[4], `${path}.logTerm`),
    index: uint(t[5], `${path}.index`),
    commit: uint(t[6], `${path}.commit`),
    reject: bool(t[7], `${path}.reject`),
    rejectHint: uint(t[8], `${path}.rejectHint`),
    entries: entries(t[9], `${path}.entries`),
  };
  if (t[10] !== null) message.snapshot = snapshot(t[10], `${path}.snapshot`);
  if (t[11] !== null) message.chunk = chunk(t[11], `${path}.chunk`);
  if (t[12] !== null) message.context = bytes(t[12], `${path}.context`);
  if (message.chunk && !message.snapshot) {
    throw new WireDecodeError(`${path}.chunk`, 'a snapshot chunk without its snapshot');
  }
  return message;
}

function entries(value: unknown, path: string): Entry[] {
  if (!Array.isArray(value)) throw new WireDecodeError(path, `expected an array, got ${describe(value)}`);
  const out = new Array<Entry>(value.length);
  for (let i = 0; i < value.length; i++) {
    const p = `${path}[${i}]`;
    const e = tuple(value[i], p, 4, 4);
    const typeCode = uint(e[2], `${p}.type`);
    const type = ENTRY_TYPES[typeCode];
    if (type === undefined) throw new WireDecodeError(`${p}.type`, `unknown entry type code ${typeCode}`);
    out[i] = {
      term: uint(e[0], `${p}.term`),
      index: uint(e[1], `${p}.index`),
      type,
      data: bytes(e[3], `${p}.data`),
    };
  }
  return out;
}

function snapshot(value: unknown, path: string): Snapshot {
  const s = tuple(value, path, 4, 4);
  const c = tuple(s[2], `${path}.confState`, 5, 5);
  const confState: ConfState = {
    voters: nodeIds(c[0], `${path}.confState.voters`),
    learners: nodeIds(c[1], `${path}.confState.learners`),
    votersOutgoing: nodeIds(c[2], `${path}.confState.votersOutgoing`),
    learnersNext: nodeIds(c[3], `${path}.confState.learnersNext`),
    autoLeave: bool(c[4], `${path}.confState.autoLeave`),
  };
  return {
    metadata: { index: uint(s[0], `${path}.index`), term: uint(s[1], `${path}.term`), confState },
    data: bytes(s[3], `${path}.data`),
  };
}

function chunk(value: unknown, path: string): SnapshotChunk {
  const c = tuple(value, path, 5, 5);
  const out: SnapshotChunk = {
    index: uint(c[0], `${path}.index`),
    total: uint(c[1], `${path}.total`),
    crc32: uint32(c[2], `${path}.crc32`),
    snapshotCrc32: uint32(c[3], `${path}.snapshotCrc32`),
    snapshotSize: uint(c[4], `${path}.snapshotSize`),
  };
  if (out.total === 0 || out.index >= out.total) {
    throw new WireDecodeError(path, `chunk ${out.index} of ${out.total} is out of range`);
  }
  return out;
}

export function tuple(value: unknown, path: string, min: number, max: number): unknown[] {
  if (!Array.isArray(value)) throw new WireDecodeError(path, `expected an array, got ${describe(value)}`);
  if (value.length < min || value.length > max) {
    const want = min === max ? `${min}` : `${min}..${max}`;
    throw new WireDecodeError(path, `expected ${want} elements, got ${value.length}`);
  }
  return value;
}

export function uint(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new WireDecodeError(path, `expected a non-negative safe integer, got ${describe(value)}`);
  }
  return value;
}

function uint32(value: unknown, path: string): number {
  const n = uint(value, path);
  if (n > 0xffffffff) throw new WireDecodeError(path, `expected a 32-bit unsigned integer, got ${n}`);
  return n;
}

export function bool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean')
    throw new WireDecodeError(path, `expected a boolean, got ${describe(value)}`);
  return value;
}

export function str(value: unknown, path: string, maxLength = 1024): string {
  if (typeof value !== 'string') throw new WireDecodeError(path, `expected a string, got ${describe(value)}`);
  if (value.length > maxLength) {
    throw new WireDecodeError(path, `string of ${value.length} chars exceeds ${maxLength}`);
  }
  return value;
}

function nodeId(value: unknown, path: string): string {
  return str(value, path, 256);
}

function nodeIds(value: unknown, path: string): string[] {
  if (!Array.isArray(value)) throw new WireDecodeError(path, `expected an array, got ${describe(value)}`);
  for (let i = 0; i < value.length; i++) nodeId(value[i], `${path}[${i}]`);
  return value as string[];
}

/** msgpackr hands out Buffer views into the frame; plain Uint8Array views keep the core's types exact. */
export function bytes(value: unknown, path: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new WireDecodeError(path, `expected binary data, got ${describe(value)}`);
  }
  return value.constructor === Uint8Array
    ? value
    : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

export function describe(value: unknown): string {
  if (value === null) return 'nil';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
  if (typeof value === 'number') return `number ${value}`;
  if (typeof value === 'string') return `string of ${value.length} chars`;
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

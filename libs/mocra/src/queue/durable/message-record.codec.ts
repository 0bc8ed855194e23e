import { crc32 } from 'node:zlib';
import type { QueueCodec } from '../codec/queue-codec.js';
import type { PipelineEnvelope } from '../envelope.js';

/**
 * A queue record on disk: a fixed header then the envelope in the queue codec (msgpack, with its wire validation).
 *
 *   0      format version (1)
 *   1..4   CRC-32 of bytes 5.. (little-endian): a torn or bit-rotted record is detected, not half-read
 *   5..8   attempt (uint32 LE)
 *   9..16  enqueuedAtMs (float64 LE)
 *   17..24 notBeforeMs (float64 LE): a nacked message backs off until then; 0 = deliver now
 *   25..32 origin sequence (float64 LE): the sequence of the first publish, the stable part of the message id
 *   33..   envelope
 */
const VERSION = 1;
const HEADER_BYTES = 33;

export interface MessageRecord {
  attempt: number;
  enqueuedAtMs: number;
  notBeforeMs: number;
  originSeq: number;
  envelope: PipelineEnvelope;
}

export function encodeMessageRecord(
  header: Omit<MessageRecord, 'envelope'>,
  envelopeBytes: Uint8Array,
): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES + envelopeBytes.byteLength);
  buf[0] = VERSION;
  buf.writeUInt32LE(header.attempt, 5);
  buf.writeDoubleLE(header.enqueuedAtMs, 9);
  buf.writeDoubleLE(header.notBeforeMs, 17);
  buf.writeDoubleLE(header.originSeq, 25);
  buf.set(envelopeBytes, HEADER_BYTES);
  buf.writeUInt32LE(crc32(buf.subarray(5)), 1);
  return buf;
}

/** Throws an Error saying what is wrong for anything but an intact record of a pipeline envelope. */
export function decodeMessageRecord(value: Buffer, codec: QueueCodec): MessageRecord {
  if (value.length < HEADER_BYTES + 1) {
    throw new Error(`record of ${value.length} bytes is shorter than its ${HEADER_BYTES}-byte header`);
  }
  if (value[0] !== VERSION) throw new Error(`unknown record format ${value[0]}`);
  const stored = value.readUInt32LE(1);
  const actual = crc32(value.subarray(5));
  if (stored !== actual) throw new Error(`checksum mismatch (stored ${stored}, computed ${actual})`);
  const envelope = codec.decode(value.subarray(HEADER_BYTES));
  if (envelope.kind === 'dead_letter') throw new Error('a dead letter envelope in the queue');
  return {
    attempt: value.readUInt32LE(5),
    enqueuedAtMs: value.readDoubleLE(9),
    notBeforeMs: value.readDoubleLE(17),
    originSeq: value.readDoubleLE(25),
    envelope,
  };
}

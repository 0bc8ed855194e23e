import { ByteReader } from '../session/byte-reader.js';
import { ByteWriter } from '../session/byte-writer.js';
import { CodecError } from '../session/codec.error.js';

// Entries written by RaftNode carry who proposed them, so the proposing process can resolve its promise when the
// entry is applied (on whichever node it was proposed); replicas that did not propose only apply the payload.

const COMMAND_TAG = 0x01;
export const PROPOSER_TOKEN_BYTES = 8;
const COMMAND_HEADER_BYTES = 1 + PROPOSER_TOKEN_BYTES + 8;
const MAX_ADDRESS_BYTES = 512;

export interface ProposalOrigin {
  proposer: Uint8Array;
  seq: number;
}

export interface DecodedCommand extends ProposalOrigin {
  payload: Uint8Array;
}

export function encodeCommand(origin: ProposalOrigin, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(COMMAND_HEADER_BYTES + payload.length);
  out[0] = COMMAND_TAG;
  out.set(origin.proposer, 1);
  new DataView(out.buffer).setFloat64(1 + PROPOSER_TOKEN_BYTES, origin.seq);
  out.set(payload, COMMAND_HEADER_BYTES);
  return out;
}

/** Decodes a normal entry's data; throws CodecError naming the index when it is not a RaftNode command. */
export function decodeCommand(data: Uint8Array, index: number): DecodedCommand {
  if (data.length < COMMAND_HEADER_BYTES || data[0] !== COMMAND_TAG) {
    throw new CodecError(`Entry[${index}]`, 'tag', 0, `not a RaftNode command (${data.length} bytes)`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const seq = view.getFloat64(1 + PROPOSER_TOKEN_BYTES);
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new CodecError(`Entry[${index}]`, 'seq', 1 + PROPOSER_TOKEN_BYTES, `not a sequence number: ${seq}`);
  }
  return {
    proposer: data.subarray(1, 1 + PROPOSER_TOKEN_BYTES),
    seq,
    payload: data.subarray(COMMAND_HEADER_BYTES),
  };
}

/** Context of a membership change: the member's transport address, and the origin of the proposal if any. */
export interface MemberContext {
  address: string;
  origin?: ProposalOrigin;
}

export function encodeMemberContext(ctx: MemberContext): Uint8Array {
  const writer = new ByteWriter().u8(ctx.origin ? 1 : 0).string(ctx.address);
  if (ctx.origin) writer.bytes(ctx.origin.proposer).u64(ctx.origin.seq);
  return writer.finish();
}

export function decodeMemberContext(data: Uint8Array): MemberContext {
  const reader = new ByteReader(data, 'MemberContext');
  const hasOrigin = reader.tag('flags', [0, 1]);
  const address = reader.string('address', MAX_ADDRESS_BYTES);
  const ctx: MemberContext = { address };
  if (hasOrigin === 1) {
    const proposer = reader.bytes('proposer', PROPOSER_TOKEN_BYTES);
    ctx.origin = { proposer, seq: reader.u64('seq') };
  }
  reader.end();
  return ctx;
}

export function sameToken(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

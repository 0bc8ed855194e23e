// A frame is a 4-byte big-endian payload length followed by one msgpack array whose first element is the kind.
import { Packr, RESERVE_START_SPACE, Unpackr } from 'msgpackr';
import type { Message, NodeId } from '../core/types.js';
import { WireDecodeError } from './wire-decode.error.js';
import {
  bool,
  bytes,
  decodeMessage,
  describe,
  encodeMessage,
  str,
  tuple,
  uint,
} from './wire-message.codec.js';

export const PROTOCOL_NAME = 'mocra-raft';
export const PROTOCOL_VERSION = 1;
export const FRAME_HEADER_BYTES = 4;

export const FrameKind = { Handshake: 0, MessageBatch: 1, Request: 2, Response: 3 } as const;

export interface HandshakeFrame {
  kind: typeof FrameKind.Handshake;
  protocol: string;
  version: number;
  clusterId: string;
  nodeId: NodeId;
}
export interface MessageBatchFrame {
  kind: typeof FrameKind.MessageBatch;
  messages: Message[];
}
export interface RequestFrame {
  kind: typeof FrameKind.Request;
  id: number;
  requestKind: string;
  body: Uint8Array;
}
export type ResponseFrame =
  | { kind: typeof FrameKind.Response; id: number; ok: true; body: Uint8Array }
  | { kind: typeof FrameKind.Response; id: number; ok: false; error: string };
export type Frame = HandshakeFrame | MessageBatchFrame | RequestFrame | ResponseFrame;

// Records would make a frame depend on structures sent in earlier frames; each frame must decode on its own.
const packr = new Packr({ useRecords: false, moreTypes: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false, int64AsType: 'number' });

/**
 * msgpackr reserves the header space in its own output buffer, so a frame is built without copying the payload.
 * The returned view stays valid: msgpackr never writes over bytes it has handed out.
 */
function frame(payload: unknown[]): Buffer {
  const out = packr.pack(payload, RESERVE_START_SPACE | FRAME_HEADER_BYTES) as Buffer;
  out.writeUInt32BE(out.length - FRAME_HEADER_BYTES, 0);
  return out;
}

export function encodeHandshake(clusterId: string, nodeId: NodeId): Buffer {
  return frame([FrameKind.Handshake, PROTOCOL_NAME, PROTOCOL_VERSION, clusterId, nodeId]);
}

/** Encodes many messages into one frame; each message becomes a positional array. */
export function encodeMessageBatch(messages: readonly Message[]): Buffer {
  const wire = new Array<unknown>(messages.length);
  for (let i = 0; i < messages.length; i++) wire[i] = encodeMessage(messages[i]!);
  return frame([FrameKind.MessageBatch, wire]);
}

export function encodeRequest(id: number, kind: string, body: Uint8Array): Buffer {
  return frame([FrameKind.Request, id, kind, body]);
}

export function encodeResponse(id: number, result: { body: Uint8Array } | { error: string }): Buffer {
  return 'body' in result
    ? frame([FrameKind.Response, id, true, result.body])
    : frame([FrameKind.Response, id, false, result.error]);
}

/** Decodes and validates one frame payload (without its length header). Throws WireDecodeError. */
export function decodeFrame(payload: Uint8Array): Frame {
  let value: unknown;
  try {
    value = unpackr.unpack(payload);
  } catch (e) {
    throw new WireDecodeError('frame', `msgpack decode failed: ${(e as Error).message}`);
  }
  const t = tuple(value, 'frame', 2, 5);
  const kind = uint(t[0], 'frame.kind');
  switch (kind) {
    case FrameKind.Handshake: {
      tuple(t, 'handshake', 5, 5);
      return {
        kind: FrameKind.Handshake,
        protocol: str(t[1], 'handshake.protocol', 64),
        version: uint(t[2], 'handshake.version'),
        clusterId: str(t[3], 'handshake.clusterId', 256),
        nodeId: str(t[4], 'handshake.nodeId', 256),
      };
    }
    case FrameKind.MessageBatch: {
      tuple(t, 'batch', 2, 2);
      const list = t[1];
      if (!Array.isArray(list))
        throw new WireDecodeError('batch.messages', `expected an array, got ${describe(list)}`);
      const messages = new Array<Message>(list.length);
      for (let i = 0; i < list.length; i++) messages[i] = decodeMessage(list[i], `batch.messages[${i}]`);
      return { kind: FrameKind.MessageBatch, messages };
    }
    case FrameKind.Request:
      tuple(t, 'request', 4, 4);
      return {
        kind: FrameKind.Request,
        id: uint(t[1], 'request.id'),
        requestKind: str(t[2], 'request.kind', 256),
        body: bytes(t[3], 'request.body'),
      };
    case FrameKind.Response: {
      tuple(t, 'response', 4, 4);
      const id = uint(t[1], 'response.id');
      return bool(t[2], 'response.ok')
        ? { kind: FrameKind.Response, id, ok: true, body: bytes(t[3], 'response.body') }
        : { kind: FrameKind.Response, id, ok: false, error: str(t[3], 'response.error', 64 * 1024) };
    }
    default:
      throw new WireDecodeError('frame.kind', `unknown frame kind ${kind}`);
  }
}

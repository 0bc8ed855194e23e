import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { FrameReader, FrameTooLargeError } from '../../src/transport/frame-reader.js';
import { WireDecodeError } from '../../src/transport/wire-decode.error.js';
import {
  decodeFrame,
  encodeHandshake,
  encodeMessageBatch,
  encodeRequest,
  encodeResponse,
  FrameKind,
} from '../../src/transport/wire-frame.codec.js';
import { encodeMessage } from '../../src/transport/wire-message.codec.js';
import { message } from './support/recording-handlers.js';

const payloadOf = (frame: Uint8Array): Uint8Array => frame.subarray(4);

function decodeError(value: unknown): string {
  try {
    decodeFrame(pack(value));
  } catch (e) {
    expect(e).toBeInstanceOf(WireDecodeError);
    return (e as Error).message;
  }
  throw new Error('decoded without an error');
}

describe('wire frame codec', () => {
  it('writes the big-endian payload length in front of each frame', () => {
    const frame = encodeHandshake('c1', 'n1');
    expect(frame.readUInt32BE(0)).toBe(frame.length - 4);
    expect(decodeFrame(payloadOf(frame))).toStrictEqual({
      kind: FrameKind.Handshake,
      protocol: 'mocra-raft',
      version: 1,
      clusterId: 'c1',
      nodeId: 'n1',
    });
  });

  it('round-trips requests and both kinds of responses', () => {
    expect(decodeFrame(payloadOf(encodeRequest(7, 'join', new Uint8Array([1, 2]))))).toStrictEqual({
      kind: FrameKind.Request,
      id: 7,
      requestKind: 'join',
      body: new Uint8Array([1, 2]),
    });
    expect(decodeFrame(payloadOf(encodeResponse(7, { error: 'nope' })))).toStrictEqual({
      kind: FrameKind.Response,
      id: 7,
      ok: false,
      error: 'nope',
    });
    const ok = decodeFrame(payloadOf(encodeResponse(8, { body: new Uint8Array([3]) })));
    expect(ok).toStrictEqual({ kind: FrameKind.Response, id: 8, ok: true, body: new Uint8Array([3]) });
  });

  it('refuses to encode local-only message types', () => {
    expect(() => encodeMessageBatch([message({ type: 'hup', from: 'a', to: 'b' })])).toThrow(
      "message type 'hup' (to b) is not sent over the network",
    );
  });

  it('names the offending field of a bad message', () => {
    const good = encodeMessage(message({ type: 'app', from: 'a', to: 'b' }));
    const withField = (i: number, v: unknown): unknown[] => {
      const t = [...good];
      t[i] = v;
      return [FrameKind.MessageBatch, [good, t]];
    };
    expect(decodeError(withField(3, -1))).toBe(
      'batch.messages[1].term: expected a non-negative safe integer, got number -1',
    );
    expect(decodeError(withField(0, 0))).toBe("batch.messages[1].type: local message type 'hup' on the wire");
    expect(decodeError(withField(0, 200))).toBe('batch.messages[1].type: unknown message type code 200');
    expect(decodeError(withField(1, 3))).toBe('batch.messages[1].from: expected a string, got number 3');
    expect(decodeError(withField(9, [[1, 1, 0, 'x']]))).toBe(
      'batch.messages[1].entries[0].data: expected binary data, got string of 1 chars',
    );
    expect(decodeError(withField(11, [2, 2, 0, 0, 0]))).toBe(
      'batch.messages[1].chunk: chunk 2 of 2 is out of range',
    );
    expect(decodeError(withField(12, 'c'))).toBe(
      'batch.messages[1].context: expected binary data, got string of 1 chars',
    );
    expect(decodeError([FrameKind.MessageBatch, [good.slice(0, 12)]])).toBe(
      'batch.messages[0]: expected 13 elements, got 12',
    );
  });

  it('rejects unknown frame kinds, wrong shapes and msgpack garbage', () => {
    expect(decodeError([9, 1])).toBe('frame.kind: unknown frame kind 9');
    expect(decodeError({ kind: 0 })).toBe('frame: expected an array, got Map');
    expect(decodeError([FrameKind.Request, 1, 'k', 'not bytes'])).toBe(
      'request.body: expected binary data, got string of 9 chars',
    );
    expect(() => decodeFrame(new Uint8Array([0xdc, 0xff]))).toThrow(/^frame: msgpack decode failed/);
  });
});

describe('FrameReader', () => {
  it('reassembles frames fed one byte at a time and frames packed into one chunk', () => {
    const frames = [
      encodeHandshake('c', 'a'),
      encodeRequest(1, 'k', new Uint8Array(300)),
      encodeHandshake('c', 'b'),
    ];
    const all = Buffer.concat(frames);
    const got: Buffer[] = [];
    const reader = new FrameReader(1 << 20);
    for (let i = 0; i < all.length; i++) reader.push(all.subarray(i, i + 1), (p) => got.push(p) > 0);
    reader.push(all, (p) => got.push(p) > 0);
    expect(got.map((p) => Buffer.from(p))).toStrictEqual(
      [...frames, ...frames].map((f) => Buffer.from(f.subarray(4))),
    );
  });

  it('throws on a length above the limit as soon as the header is complete', () => {
    const reader = new FrameReader(100);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(101, 0);
    expect(() => reader.push(header.subarray(0, 3), () => true)).not.toThrow();
    expect(() => reader.push(header.subarray(3), () => true)).toThrow(FrameTooLargeError);
  });

  it('stops handing out frames when the consumer returns false', () => {
    const reader = new FrameReader(100);
    const got: number[] = [];
    const all = Buffer.concat([
      encodeRequest(1, 'k', new Uint8Array(0)),
      encodeRequest(2, 'k', new Uint8Array(0)),
    ]);
    reader.push(all, (p) => {
      got.push(p.length);
      return false;
    });
    expect(got).toHaveLength(1);
  });
});

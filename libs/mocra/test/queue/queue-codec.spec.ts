import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import {
  EnvelopeDecodeError,
  EnvelopeEncodeError,
  JsonQueueCodec,
  MsgpackQueueCodec,
  createQueueCodec,
  type QueueCodec,
  type RequestDispatchEnvelope,
  type ResponseDispatchEnvelope,
  type NodeDispatchEnvelope,
} from '../../src/queue/index.js';
import {
  ALL_BYTES,
  ALL_ENVELOPES,
  nodeEnvelope,
  requestEnvelope,
  responseEnvelope,
} from './envelope.fixtures.js';

const codecs: QueueCodec[] = [new JsonQueueCodec(), new MsgpackQueueCodec()];

describe.each(codecs.map((c) => [c.name, c] as const))('%s codec', (_name, codec) => {
  it.each(ALL_ENVELOPES)('round-trips a %s envelope', (_kind, make) => {
    const original = make();
    const bytes = codec.encode(original);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(codec.decode(bytes)).toEqual(make());
  });

  it('keeps a binary request body as the same bytes', () => {
    const decoded = codec.decode(codec.encode(requestEnvelope())) as RequestDispatchEnvelope;
    const body = decoded.request.body;
    expect(body).toBeInstanceOf(Uint8Array);
    expect(Array.from(body ?? [])).toEqual(Array.from(ALL_BYTES));
  });

  it('keeps a binary response body and bytes nested in user input', () => {
    const response = codec.decode(codec.encode(responseEnvelope())) as ResponseDispatchEnvelope;
    expect(response.response.body).toBeInstanceOf(Uint8Array);
    expect(Array.from(response.response.body)).toEqual([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x0d, 0x0a]);
    const node = codec.decode(codec.encode(nodeEnvelope())) as NodeDispatchEnvelope;
    const raw = (node.input as { raw: unknown }).raw;
    expect(raw).toBeInstanceOf(Uint8Array);
    expect(Array.from(raw as Uint8Array)).toEqual([1, 2, 3]);
  });

  it('encodes a Node Buffer body like any Uint8Array', () => {
    const env = requestEnvelope({ body: Buffer.from('héllo') });
    const decoded = codec.decode(codec.encode(env)) as RequestDispatchEnvelope;
    expect(Buffer.from(decoded.request.body ?? []).toString()).toBe('héllo');
  });

  it('keeps an empty body and leaves undefined optional fields out', () => {
    const env = requestEnvelope({ body: new Uint8Array(0), proxy: undefined });
    const decoded = codec.decode(codec.encode(env)) as RequestDispatchEnvelope;
    expect(decoded.request.body).toBeInstanceOf(Uint8Array);
    expect(decoded.request.body?.length).toBe(0);
    expect('proxy' in decoded.request).toBe(false);
  });

  it('does not share decoded bytes with the input buffer', () => {
    const bytes = codec.encode(requestEnvelope());
    const decoded = codec.decode(bytes) as RequestDispatchEnvelope;
    bytes.fill(0);
    expect(Array.from(decoded.request.body ?? [])).toEqual(Array.from(ALL_BYTES));
  });

  it('reports an envelope it cannot serialise', () => {
    const env = nodeEnvelope();
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    env.input = codec.name === 'json' ? { big: 10n } : cyclic;
    expect(() => codec.encode(env)).toThrow(EnvelopeEncodeError);
  });

  it('validates what it decodes and names the bad field', () => {
    const env = requestEnvelope() as unknown as { routing: Record<string, unknown> };
    env.routing['runId'] = 42;
    const bytes = codec.encode(env as unknown as RequestDispatchEnvelope);
    expect(() => codec.decode(bytes)).toThrow(EnvelopeDecodeError);
    expect(() => codec.decode(bytes)).toThrow('routing.runId: expected string, got number');
  });
});

describe('wire format', () => {
  it('json writes bytes as {"$bytes": base64}', () => {
    const text = Buffer.from(
      new JsonQueueCodec().encode(requestEnvelope({ body: Buffer.from('hi') })),
    ).toString();
    const parsed = JSON.parse(text) as { request: { body: unknown } };
    expect(parsed.request.body).toEqual({ $bytes: Buffer.from('hi').toString('base64') });
  });

  it('msgpack writes plain maps that a records-unaware reader decodes', () => {
    const bytes = new MsgpackQueueCodec().encode(requestEnvelope());
    // A fresh reader with no shared structures: records would come back as undefined or fail here.
    const plain = new Packr({ useRecords: false, mapsAsObjects: true }).unpack(bytes) as {
      kind: string;
      routing: { runId: string };
    };
    expect(plain.kind).toBe('request');
    expect(plain.routing.runId).toBe('run-1');
    // 0xd4 0x72 would start a msgpackr record definition.
    expect(Buffer.from(bytes).includes(Buffer.from([0xd4, 0x72]))).toBe(false);
  });

  it('json and msgpack decode the same envelope from their own encodings', () => {
    const json = new JsonQueueCodec();
    const msgpack = new MsgpackQueueCodec();
    const env = responseEnvelope();
    expect(json.decode(json.encode(env))).toEqual(msgpack.decode(msgpack.encode(env)));
  });
});

describe('createQueueCodec', () => {
  it('builds the codec by name, with rmp as an alias of msgpack', () => {
    expect(createQueueCodec('json')).toBeInstanceOf(JsonQueueCodec);
    expect(createQueueCodec('msgpack')).toBeInstanceOf(MsgpackQueueCodec);
    expect(createQueueCodec('rmp').name).toBe('msgpack');
  });

  it('rejects an unknown name', () => {
    expect(() => createQueueCodec('xml' as 'json')).toThrow(/unknown queue codec 'xml'/);
  });

  it('passes maxBytes on', () => {
    const codec = createQueueCodec('msgpack', { maxBytes: 16 });
    expect(() => codec.decode(new MsgpackQueueCodec().encode(requestEnvelope()))).toThrow(
      /exceeds the limit of 16/,
    );
  });
});

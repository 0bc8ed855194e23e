import { describe, expect, it } from 'vitest';
import {
  EnvelopeDecodeError,
  JsonQueueCodec,
  MsgpackQueueCodec,
  assertEnvelope,
  type QueueCodec,
} from '../../src/queue/index.js';
import {
  ALL_ENVELOPES,
  deadLetterEnvelope,
  errorEnvelope,
  prng,
  requestEnvelope,
  responseEnvelope,
  taskEnvelope,
} from './envelope.fixtures.js';

type Mutable = Record<string, unknown>;

/** Applies `mutate` to a fresh copy of an envelope and returns the decode error message. */
function errorOf(make: () => unknown, mutate: (env: Mutable) => void): string {
  const env = make() as Mutable;
  mutate(env);
  try {
    assertEnvelope(env);
  } catch (err) {
    expect(err).toBeInstanceOf(EnvelopeDecodeError);
    return (err as Error).message;
  }
  throw new Error('assertEnvelope accepted an invalid envelope');
}

const at = (env: Mutable, ...keys: string[]): Mutable => keys.reduce((o, k) => o[k] as Mutable, env);

describe('assertEnvelope', () => {
  it.each(ALL_ENVELOPES)('accepts a valid %s envelope and returns it', (_kind, make) => {
    const env = make();
    expect(assertEnvelope(env)).toBe(env);
  });

  it('rejects non-objects at the root', () => {
    for (const value of [42, 'task', null, undefined, [], true, new Uint8Array(2)]) {
      expect(() => assertEnvelope(value)).toThrow(/^envelope: expected object, got /);
    }
  });

  it('names an unknown or missing kind', () => {
    expect(errorOf(taskEnvelope, (e) => (e['kind'] = 'bogus'))).toMatch(
      /^kind: expected an envelope kind .* got 'bogus'$/,
    );
    expect(errorOf(taskEnvelope, (e) => delete e['kind'])).toMatch(/^kind: .* got undefined$/);
  });

  it.each([
    ['routing.runId: expected string, got number', (e: Mutable) => (at(e, 'routing')['runId'] = 7)],
    [
      'routing.namespace: expected string, got undefined',
      (e: Mutable) => delete at(e, 'routing')['namespace'],
    ],
    [
      "routing.priority: expected a priority, got 'urgent'",
      (e: Mutable) => (at(e, 'routing')['priority'] = 'urgent'),
    ],
    ['routing: expected object, got null', (e: Mutable) => (e['routing'] = null)],
    [
      'routing.depth: expected an integer from 0 to 65535, got number',
      (e: Mutable) => (at(e, 'routing')['depth'] = 65536),
    ],
    ['exec.retryCount: expected number, got string', (e: Mutable) => (at(e, 'exec')['retryCount'] = '1')],
    ['exec.createdAtMs: expected number, got NaN', (e: Mutable) => (at(e, 'exec')['createdAtMs'] = NaN)],
    ['exec.traceId: expected string, got boolean', (e: Mutable) => (at(e, 'exec')['traceId'] = true)],
    ['request.url: expected string, got undefined', (e: Mutable) => delete at(e, 'request')['url']],
    [
      "request.method: expected an HTTP method, got 'FETCH'",
      (e: Mutable) => (at(e, 'request')['method'] = 'FETCH'),
    ],
    [
      'request.headers["x-a"]: expected string, got number',
      (e: Mutable) => (at(e, 'request')['headers'] = { 'x-a': 1 }),
    ],
    [
      'request.params[1]: expected [string, string], got array',
      (e: Mutable) => (at(e, 'request')['params'] = [['a', 'b'], ['c']]),
    ],
    ['request.body: expected bytes, got string', (e: Mutable) => (at(e, 'request')['body'] = 'AAEC')],
    ['request.meta: expected object, got array', (e: Mutable) => (at(e, 'request')['meta'] = [])],
    [
      'request.timeoutMs: expected number, got string',
      (e: Mutable) => (at(e, 'request')['timeoutMs'] = '5s'),
    ],
  ])('request envelope: %s', (message, mutate) => {
    expect(errorOf(() => requestEnvelope(), mutate)).toBe(message);
  });

  it('accepts a crawl depth from 0 to 65535 and nothing else', () => {
    for (const ok of [0, 7, 65535]) {
      const env = requestEnvelope();
      env.routing.depth = ok;
      expect(() => assertEnvelope(env)).not.toThrow();
    }
    for (const bad of [-1, 1.5, Infinity, '3']) {
      expect(
        errorOf(
          () => requestEnvelope(),
          (e) => (at(e, 'routing')['depth'] = bad),
        ),
      ).toMatch(/^routing\.depth: expected an integer from 0 to 65535/);
    }
  });

  it('checks task events, responses, nested failed envelopes and dead letters', () => {
    expect(errorOf(taskEnvelope, (e) => (at(e, 'event')['module'] = ['a', 3]))).toBe(
      'event.module[1]: expected string, got number',
    );
    expect(errorOf(responseEnvelope, (e) => (at(e, 'response')['body'] = [1, 2]))).toBe(
      'response.body: expected bytes, got array',
    );
    expect(errorOf(responseEnvelope, (e) => (at(e, 'response', 'request')['id'] = 1))).toBe(
      'response.request.id: expected string, got number',
    );
    expect(errorOf(errorEnvelope, (e) => (at(e, 'failed', 'routing')['runId'] = 1))).toBe(
      'failed.routing.runId: expected string, got number',
    );
    expect(errorOf(errorEnvelope, (e) => (e['errorKind'] = 'Oops'))).toBe(
      "errorKind: expected an error kind, got 'Oops'",
    );
    expect(errorOf(deadLetterEnvelope, (e) => (e['attempt'] = '3'))).toBe(
      'attempt: expected number, got string',
    );
    expect(errorOf(deadLetterEnvelope, (e) => (at(e, 'payload', 'response')['status'] = null))).toBe(
      'payload.response.status: expected number, got null',
    );
    expect(errorOf(deadLetterEnvelope, (e) => (e['payload'] = deadLetterEnvelope()))).toBe(
      "payload.kind: expected a pipeline kind, got 'dead_letter'",
    );
  });

  it('bounds the nesting of failed envelopes', () => {
    let env = errorEnvelope() as unknown as Mutable;
    for (let i = 0; i < 40; i++) env = { ...errorEnvelope(), failed: env };
    expect(() => assertEnvelope(env)).toThrow(/nested deeper than/);
  });
});

describe.each([
  ['json', new JsonQueueCodec({ maxBytes: 1 << 20 })],
  ['msgpack', new MsgpackQueueCodec({ maxBytes: 1 << 20 })],
] as Array<[string, QueueCodec]>)('%s decode of hostile input', (name, codec) => {
  const expectDecodeError = (bytes: Uint8Array): void => {
    expect(() => codec.decode(bytes)).toThrow(EnvelopeDecodeError);
  };

  it('rejects empty input and scalars that are not objects', () => {
    expectDecodeError(new Uint8Array(0));
    const scalars: Uint8Array[] =
      name === 'json' ? ['42', '"task"', 'null', '[]', 'true'].map((s) => Buffer.from(s)) : [];
    if (name === 'msgpack')
      scalars.push(Uint8Array.from([0x2a]), Uint8Array.from([0xc0]), Uint8Array.from([0x90]));
    for (const bytes of scalars) expect(() => codec.decode(bytes)).toThrow(/^envelope: expected object, got/);
  });

  it('rejects input above maxBytes before parsing it', () => {
    const huge = new Uint8Array((1 << 20) + 1);
    expect(() => codec.decode(huge)).toThrow(/exceeds the limit/);
  });

  it('rejects every truncation of a valid encoding', () => {
    for (const [, make] of ALL_ENVELOPES) {
      const bytes = codec.encode(make());
      // Every prefix for short cuts, then a stride so the test stays quick on 1 KiB envelopes.
      for (let len = 0; len < bytes.length; len += len < 64 ? 1 : 7) {
        expectDecodeError(bytes.subarray(0, len));
      }
    }
  });

  it('rejects random byte strings', () => {
    const rand = prng(0xc0dec);
    for (let i = 0; i < 2000; i++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256));
      expectDecodeError(bytes);
    }
  });

  it('rejects valid encodings with random bytes flipped, or decodes them to a valid envelope', () => {
    const rand = prng(0xf11b);
    const original = codec.encode(responseEnvelope());
    for (let i = 0; i < 500; i++) {
      const bytes = Uint8Array.from(original);
      for (let k = 0; k < 3; k++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      let decoded: unknown;
      try {
        decoded = codec.decode(bytes);
      } catch (err) {
        expect(err).toBeInstanceOf(EnvelopeDecodeError);
        continue;
      }
      // A flip inside a string or body can still be a valid envelope: then it must pass the guard.
      expect(() => assertEnvelope(decoded)).not.toThrow();
    }
  });
});

describe('msgpack decode of hostile length claims', () => {
  const codec = new MsgpackQueueCodec();
  it.each([
    ['array32 of 4G items', [0xdd, 0xff, 0xff, 0xff, 0xff, 0x01]],
    ['map32 of 4G entries', [0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 0x61, 0x01]],
    ['str32 of 4 GiB', [0xdb, 0xff, 0xff, 0xff, 0xf0, 0x61]],
    ['bin32 of 4 GiB', [0xc6, 0xff, 0xff, 0xff, 0xf0, 0x61]],
    ['ext32 of 4 GiB', [0xc9, 0xff, 0xff, 0xff, 0xf0, 0x05, 0x61]],
    ['a msgpackr record definition', [0xd4, 0x72, 0x40]],
    ['a timestamp', [0xd6, 0xff, 0, 0, 0, 1]],
  ])('%s', (_label, bytes) => {
    expect(() => codec.decode(Uint8Array.from(bytes))).toThrow(EnvelopeDecodeError);
  });

  it('survives nesting deep enough to overflow the stack', () => {
    const depth = 200_000;
    const bytes = new Uint8Array(depth + 1).fill(0x91); // fixarray of 1, nested
    bytes[depth] = 0x01;
    expect(() => codec.decode(bytes)).toThrow(EnvelopeDecodeError);
  });
});

describe('json decode of hostile $bytes', () => {
  const codec = new JsonQueueCodec();
  it('rejects a $bytes that is not base64', () => {
    const text = Buffer.from(new JsonQueueCodec().encode(requestEnvelope())).toString();
    const parsed = JSON.parse(text) as { request: { body: unknown } };
    parsed.request.body = { $bytes: 'not base64!' };
    expect(() => codec.decode(Buffer.from(JSON.stringify(parsed)))).toThrow(EnvelopeDecodeError);
  });

  it('rejects invalid UTF-8', () => {
    const bytes = Buffer.concat([
      Buffer.from('{"kind":"task","x":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    expect(() => codec.decode(bytes)).toThrow(/invalid JSON/);
  });
});

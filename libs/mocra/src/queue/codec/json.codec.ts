import type { Envelope } from '../envelope.js';
import { EnvelopeDecodeError, EnvelopeEncodeError } from './envelope-decode.error.js';
import { assertEnvelope } from './envelope.guard.js';
import { DEFAULT_MAX_ENVELOPE_BYTES, type QueueCodec, type QueueCodecOptions } from './queue-codec.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * UTF-8 JSON. JSON has no bytes type, so every Uint8Array (request and response bodies, bytes in user data) is
 * written as `{"$bytes": "<base64>"}` and restored on decode.
 */
export class JsonQueueCodec implements QueueCodec {
  readonly name = 'json' as const;
  private readonly maxBytes: number;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });

  constructor(options: QueueCodecOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_ENVELOPE_BYTES;
  }

  encode(envelope: Envelope): Uint8Array {
    let text: string;
    try {
      text = JSON.stringify(envelope, bytesReplacer);
    } catch (err) {
      throw new EnvelopeEncodeError(this.name, envelope.kind, { cause: err });
    }
    return Buffer.from(text, 'utf8');
  }

  decode(bytes: Uint8Array): Envelope {
    if (bytes.byteLength > this.maxBytes) {
      throw new EnvelopeDecodeError(
        'envelope',
        `${bytes.byteLength} bytes exceeds the limit of ${this.maxBytes}`,
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(this.utf8.decode(bytes), bytesReviver);
    } catch (err) {
      if (err instanceof EnvelopeDecodeError) throw err;
      throw new EnvelopeDecodeError('envelope', `invalid JSON: ${(err as Error).message}`, { cause: err });
    }
    return assertEnvelope(value);
  }
}

// A Buffer's own toJSON runs before the replacer sees the value, so read the original from the holder.
function bytesReplacer(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Uint8Array) {
    return { $bytes: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') };
  }
  return value;
}

function bytesReviver(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const b64 = (value as { $bytes?: unknown }).$bytes;
  if (b64 === undefined) return value;
  let keys = 0;
  for (const _ in value) keys++;
  if (keys !== 1) return value;
  if (typeof b64 !== 'string' || !BASE64.test(b64)) {
    throw new EnvelopeDecodeError('$bytes', 'expected base64 text');
  }
  const decoded = Buffer.from(b64, 'base64');
  // Copy out of Node's shared pool slab so the body does not pin unrelated memory.
  return new Uint8Array(decoded);
}

import { Packr, type Options } from 'msgpackr';
import type { Envelope } from '../envelope.js';
import { EnvelopeDecodeError, EnvelopeEncodeError } from './envelope-decode.error.js';
import { assertEnvelope } from './envelope.guard.js';
import { DEFAULT_MAX_ENVELOPE_BYTES, type QueueCodec, type QueueCodecOptions } from './queue-codec.js';

/** `skipValues` exists in msgpackr 2 but is missing from its type declarations. */
type PackrOptions = Options & { skipValues?: unknown[] };

/**
 * MessagePack via msgpackr. Plain maps (no msgpackr records) so any MessagePack library can read the topics;
 * Uint8Array travels as bin. Undefined object fields are left out, as JSON does, rather than written as msgpackr's
 * private undefined extension.
 */
export class MsgpackQueueCodec implements QueueCodec {
  readonly name = 'msgpack' as const;
  private readonly maxBytes: number;
  private readonly packr: Packr;

  constructor(options: QueueCodecOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_ENVELOPE_BYTES;
    const packrOptions: PackrOptions = {
      useRecords: false,
      mapsAsObjects: true,
      // Decoded bodies must not alias the consumer's (reused) network buffer.
      copyBuffers: true,
      skipValues: [undefined],
      int64AsType: 'number',
    };
    this.packr = new Packr(packrOptions);
  }

  encode(envelope: Envelope): Uint8Array {
    try {
      return this.packr.pack(envelope);
    } catch (err) {
      throw new EnvelopeEncodeError(this.name, envelope.kind, { cause: err });
    }
  }

  decode(bytes: Uint8Array): Envelope {
    if (bytes.byteLength > this.maxBytes) {
      throw new EnvelopeDecodeError(
        'envelope',
        `${bytes.byteLength} bytes exceeds the limit of ${this.maxBytes}`,
      );
    }
    if (bytes.byteLength === 0) throw new EnvelopeDecodeError('envelope', 'empty input');
    let value: unknown;
    try {
      // A plain Uint8Array view makes msgpackr's copying slice return Uint8Array rather than Buffer, so both
      // codecs hand out the same type (msgpackr also caches a DataView on its input; keep that off the caller's).
      value = this.packr.unpack(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (err) {
      // msgpackr throws plain Errors (and RangeError on absurd nesting); all mean the bytes are not an envelope.
      throw new EnvelopeDecodeError('envelope', `invalid MessagePack: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return assertEnvelope(value);
  }
}

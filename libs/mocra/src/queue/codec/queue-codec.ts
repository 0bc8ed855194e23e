import type { Envelope } from '../envelope.js';

export const QUEUE_CODEC_NAMES = ['json', 'msgpack'] as const;
export type QueueCodecName = (typeof QUEUE_CODEC_NAMES)[number];

/** Turns envelopes into wire bytes and back. Every node of a cluster must use the same codec. */
export interface QueueCodec {
  readonly name: QueueCodecName;
  encode(envelope: Envelope): Uint8Array;
  /** Throws EnvelopeDecodeError for anything that is not a valid envelope. */
  decode(bytes: Uint8Array): Envelope;
}

export interface QueueCodecOptions {
  /** Larger inputs are rejected before parsing, so a corrupt or hostile record cannot exhaust memory. */
  maxBytes?: number;
}

/** 64 MiB: far above any envelope the pipeline makes (large bodies go to blob storage). */
export const DEFAULT_MAX_ENVELOPE_BYTES = 64 * 1024 * 1024;

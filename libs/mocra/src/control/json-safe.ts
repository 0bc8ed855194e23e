/** Byte arrays as they appear in JSON answers: base64 plus length, instead of one key per byte. */
export interface EncodedBytes {
  base64: string;
  bytes: number;
}

/**
 * A copy of `value` that JSON.stringify renders faithfully: Uint8Array (request and response bodies inside
 * dead-letter payloads) becomes `{ base64, bytes }`. Plain data only: the payloads are envelopes, no cycles.
 */
export function toJsonSafe(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    return {
      base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
      bytes: value.byteLength,
    } satisfies EncodedBytes;
  }
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJsonSafe(v);
    return out;
  }
  return value;
}

import { TextDecoder } from 'node:util';

// How many leading bytes of an HTML body are searched for a <meta charset>, as browsers do (HTML spec: 1024).
const SNIFF_BYTES = 1024;
const HEADER_CHARSET = /charset\s*=\s*["']?([^"';\s]+)/i;
const META_CHARSET = /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i;

const decoders = new Map<string, TextDecoder>();

/**
 * The charset of a body: the Content-Type charset, else (for HTML or an unknown type) a <meta charset> in the
 * first 1024 bytes, else utf-8.
 */
export function charsetOf(contentType: string | undefined, body: Uint8Array): string {
  if (contentType) {
    const m = HEADER_CHARSET.exec(contentType);
    if (m?.[1]) return m[1].toLowerCase();
    if (!/html|xml/i.test(contentType)) return 'utf-8';
  }
  const head = Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, SNIFF_BYTES)).toString(
    'latin1',
  );
  const meta = META_CHARSET.exec(head);
  return meta?.[1] ? meta[1].toLowerCase() : 'utf-8';
}

/** Decodes a body with the given charset label; an unknown label falls back to utf-8 rather than failing. */
export function decodeBody(body: Uint8Array, charset: string): string {
  let decoder = decoders.get(charset);
  if (!decoder) {
    try {
      decoder = new TextDecoder(charset);
    } catch {
      decoder = decoders.get('utf-8') ?? new TextDecoder('utf-8');
    }
    decoders.set(charset, decoder);
  }
  return decoder.decode(body);
}

import type { IHeaders } from 'kafkajs';

/** Record headers mocra writes next to the encoded envelope (the envelope itself stays codec-only). */
export const HEADER_ID = 'mocra-id';
export const HEADER_ATTEMPT = 'mocra-attempt';

export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}

/** Attempt count from the header: anything missing or malformed counts as a first delivery. */
export function headerAttempt(headers: IHeaders | undefined): number {
  const raw = headerString(headers, HEADER_ATTEMPT);
  const n = raw === undefined ? 0 : Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

import * as nodeCrypto from 'node:crypto';
import { plainUrlOriginEnd } from './plain-url.js';
import type { RequestData } from './request-data.js';
import { RequestError } from './request.error.js';

/** The fields a fingerprint covers. Headers, cookies and meta do not change what is fetched, so they are out. */
export type FingerprintInput = Pick<
  RequestData,
  'method' | 'url' | 'params' | 'json' | 'body' | 'form' | 'runId'
>;

/** Hex length of a fingerprint. */
export const FINGERPRINT_LENGTH = 32;

// crypto.hash (one-shot, no Hash object) is several times faster for short inputs but only exists from Node 20.12.
const oneShotHash = (nodeCrypto as { hash?: typeof nodeCrypto.hash }).hash;

/** sha1 of `text` as 40 hex chars. */
export function sha1Hex(text: string): string {
  return oneShotHash
    ? oneShotHash('sha1', text, 'hex')
    : nodeCrypto.createHash('sha1').update(text).digest('hex');
}

/**
 * `scope` replaces `req.runId` in the hash (the engine scopes by run and module), without copying the request.
 *
 * Stable identity of a request within a run: sha1 over method, run id, canonical URL and canonical body, as 32 hex
 * chars. Parameter order, fragments, default ports and host/scheme case do not change it; method, body and run do.
 */
export function requestFingerprint(req: FingerprintInput, scope: string | undefined = req.runId): string {
  const runId = scope ?? '';
  // The run id is length-prefixed so no run id can run into the URL and mimic another pair.
  const head = `${req.method}\n${runId.length}:${runId}\n${canonicalUrl(req.url, req.params)}\n`;
  if (req.json !== undefined)
    return sha1Hex(`${head}j:${canonicalJson(req.json, req.url)}`).slice(0, FINGERPRINT_LENGTH);
  if (req.form !== undefined)
    return sha1Hex(`${head}f:${encodePairs(sortPairs(req.form.slice()))}`).slice(0, FINGERPRINT_LENGTH);
  if (req.body !== undefined) {
    return nodeCrypto
      .createHash('sha1')
      .update(head)
      .update('b:')
      .update(req.body)
      .digest('hex')
      .slice(0, FINGERPRINT_LENGTH);
  }
  return sha1Hex(head).slice(0, FINGERPRINT_LENGTH);
}

/**
 * The URL as a server sees it, in one spelling: lower-case scheme and host, no default port, no fragment, and the
 * query (from the URL plus `params`) sorted by key then value and re-encoded.
 */
export function canonicalUrl(url: string, params: ReadonlyArray<readonly [string, string]> = []): string {
  if (params.length === 0 && plainUrlOriginEnd(url) >= 0) return url;
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    throw new RequestError(url, 'invalid URL', { cause: err });
  }
  const pairs: Array<[string, string]> = [];
  if (u.search.length > 1) for (const [k, v] of u.searchParams) pairs.push([k, v]);
  for (const p of params) pairs.push([p[0], p[1]]);
  // Composed from parts rather than by clearing search/hash, which would re-serialise the URL twice.
  const auth = u.username || u.password ? `${u.username}${u.password ? `:${u.password}` : ''}@` : '';
  const base = `${u.protocol}//${auth}${u.host}${u.pathname}`;
  return pairs.length === 0 ? base : `${base}?${encodePairs(sortPairs(pairs))}`;
}

function sortPairs<T extends readonly [string, string]>(pairs: T[]): T[] {
  return pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
}

function encodePairs(pairs: ReadonlyArray<readonly [string, string]>): string {
  let out = '';
  for (const [k, v] of pairs) {
    if (out.length > 0) out += '&';
    out += `${encodeURIComponent(k)}=${encodeURIComponent(v)}`;
  }
  return out;
}

/**
 * JSON with object keys sorted at every level, otherwise what JSON.stringify would send (toJSON honoured,
 * undefined/function members dropped from objects and turned to null in arrays).
 */
export function canonicalJson(value: unknown, url = '', ancestors: unknown[] = []): string {
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'bigint':
      throw new RequestError(url, 'JSON body holds a bigint, which JSON cannot encode');
    case 'object':
      break;
    default:
      return 'null';
  }
  if (value === null) return 'null';
  if (ancestors.includes(value)) throw new RequestError(url, 'JSON body holds a cycle');
  ancestors.push(value);
  let out: string;
  if (Array.isArray(value)) {
    out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += canonicalJson(value[i], url, ancestors);
    }
    out += ']';
  } else {
    const obj = value as Record<string, unknown>;
    out = '{';
    let first = true;
    for (const key of Object.keys(obj).sort()) {
      const member = obj[key];
      if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
      if (!first) out += ',';
      first = false;
      out += `${JSON.stringify(key)}:${canonicalJson(member, url, ancestors)}`;
    }
    out += '}';
  }
  ancestors.pop();
  return out;
}

import { setTimeout as sleep } from 'node:timers/promises';
import { plainUrlOriginEnd } from '../request/plain-url.js';
import type { RequestData } from '../request/request-data.js';
import { DownloadError, type DownloadErrorKind } from './download.error.js';

/**
 * How both built-in downloaders turn a RequestData into bytes on the wire, and how they word their errors, so
 * the two behave the same under the same test suite.
 */

// A client default like "application/json, text/plain, */*" makes content-negotiating sites answer JSON.
export const DEFAULT_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE_FORBIDDEN = /[\r\n\0]/;
const TARGET_PROTOCOLS: ReadonlySet<string> = new Set(['http:', 'https:']);
const PROXY_PROTOCOLS: ReadonlySet<string> = new Set(['http:', 'https:']);

/** Every download error message starts with the method and URL, then says what went wrong. */
export function failure(
  kind: DownloadErrorKind,
  req: Pick<RequestData, 'method' | 'url'>,
  detail: string,
  cause?: unknown,
): DownloadError {
  return new DownloadError(kind, req.url, `${req.method} ${req.url}: ${detail}`, { cause });
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function aborted(req: RequestData, cause?: unknown): DownloadError {
  return failure('aborted', req, 'aborted by the caller', cause);
}

export function tooLarge(req: RequestData, maxResponseSize: number, cause?: unknown): DownloadError {
  return failure('too_large', req, `body exceeds max_response_size of ${maxResponseSize} bytes`, cause);
}

/** Where a download goes: the full URL, and the origin and path an HTTP/1.1 client sends it as. */
export interface DownloadTarget {
  readonly href: string;
  readonly origin: string;
  /** Path and query, as on the request line. */
  readonly path: string;
}

/** The target of a parsed URL (a redirect's Location, say). */
export function targetOf(u: URL): DownloadTarget {
  return { href: u.href, origin: u.origin, path: `${u.pathname}${u.search}` };
}

/**
 * The URL to send: the request URL plus its params (already-present query kept as written), no fragment. A URL
 * already in its serialised form with no params is split where its origin ends, without a parse.
 */
export function targetUrl(req: RequestData): DownloadTarget {
  if (req.params.length === 0) {
    const end = plainUrlOriginEnd(req.url);
    if (end >= 0) return { href: req.url, origin: req.url.slice(0, end), path: req.url.slice(end) };
  }
  let u: URL;
  try {
    u = new URL(req.url);
  } catch (err) {
    throw failure('invalid_request', req, 'invalid URL', err);
  }
  if (!TARGET_PROTOCOLS.has(u.protocol)) {
    throw failure('invalid_request', req, `unsupported scheme ${u.protocol}`);
  }
  u.hash = '';
  if (req.params.length > 0) {
    let extra = '';
    for (const [k, v] of req.params) {
      extra += `${extra.length > 0 ? '&' : ''}${encodeURIComponent(k)}=${encodeURIComponent(v)}`;
    }
    u.search = u.search.length > 1 ? `${u.search}&${extra}` : extra;
  }
  return targetOf(u);
}

/** The request's proxy as a URL; only http(s) forward proxies are supported. */
export function proxyUrl(req: RequestData): URL {
  let u: URL | undefined;
  try {
    u = new URL(req.proxy ?? '');
  } catch {
    u = undefined;
  }
  if (!u || !PROXY_PROTOCOLS.has(u.protocol)) {
    throw failure('invalid_request', req, `invalid proxy URL ${String(req.proxy)} (use http(s)://host:port)`);
  }
  return u;
}

/**
 * Lower-cased request headers with the defaults (user agent, accept) and the request cookies merged into one
 * Cookie header after an explicit one. CR/LF in a header is refused rather than silently stripped.
 */
export function requestHeaders(req: RequestData, userAgent: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of Object.keys(req.headers)) {
    const value = req.headers[name]!;
    if (!HEADER_NAME.test(name) || HEADER_VALUE_FORBIDDEN.test(value)) {
      throw failure(
        'invalid_request',
        req,
        `invalid header ${JSON.stringify(name)}: ${JSON.stringify(value)}`,
      );
    }
    headers[name.toLowerCase()] = value;
  }
  if (userAgent !== undefined && headers['user-agent'] === undefined) headers['user-agent'] = userAgent;
  if (headers['accept'] === undefined) headers['accept'] = DEFAULT_ACCEPT;
  let cookie = '';
  for (const name of Object.keys(req.cookies)) {
    const value = req.cookies[name]!;
    if (HEADER_VALUE_FORBIDDEN.test(name) || HEADER_VALUE_FORBIDDEN.test(value)) {
      throw failure('invalid_request', req, `invalid cookie ${JSON.stringify(name)}`);
    }
    cookie += `${cookie.length > 0 ? '; ' : ''}${name}=${value}`;
  }
  if (cookie.length > 0) {
    const existing = headers['cookie'];
    headers['cookie'] = existing ? `${existing}; ${cookie}` : cookie;
  }
  return headers;
}

/** Serialises json/form/body and sets a Content-Type when the request gave none. */
export function requestBody(req: RequestData, headers: Record<string, string>): string | Buffer | undefined {
  if (req.json !== undefined) {
    let text: string | undefined;
    try {
      text = JSON.stringify(req.json);
    } catch (err) {
      throw failure('invalid_request', req, `JSON body: ${messageOf(err)}`, err);
    }
    headers['content-type'] ??= 'application/json';
    return text;
  }
  if (req.form !== undefined) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
    return new URLSearchParams(req.form).toString();
  }
  if (req.body !== undefined) {
    const b = req.body;
    // A view, not a copy: a Uint8Array subarray must not send its whole backing ArrayBuffer.
    return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }
  return undefined;
}

/** Lower-cased names; repeated headers joined with ", " (set-cookie with "\n"). */
export function flattenHeaders(source: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined || value === null) continue;
    const key = name.toLowerCase();
    out[key] = Array.isArray(value) ? value.join(key === 'set-cookie' ? '\n' : ', ') : String(value);
  }
  return out;
}

/** True when the limit is a real cap (<= 0 or non-finite means none). */
export function hasLimit(maxResponseSize: number): boolean {
  return maxResponseSize > 0 && Number.isFinite(maxResponseSize);
}

/**
 * Honours `req.sleepMs` before a request; an abort during the sleep is the request's abort. Throws at once when
 * `signal` has already aborted. Undefined when the request does not sleep (most do not), so a download awaits
 * nothing here.
 */
export function sleepBeforeSend(
  req: RequestData,
  signal: AbortSignal | undefined,
): Promise<void> | undefined {
  if (signal?.aborted) throw aborted(req);
  if (req.sleepMs === undefined || req.sleepMs <= 0) return undefined;
  return sleep(req.sleepMs, undefined, signal ? { signal } : undefined).catch(() => {
    throw aborted(req);
  });
}

type AbortListener = () => void;

/**
 * What a download deadline hands to axios, or to the undici downloader's own abort, as the abort signal: the part
 * of AbortSignal they use (`aborted`, `reason`, add/removeEventListener, and the EventEmitter form
 * on/once/removeListener). A real AbortController builds an EventTarget per download, 4% of a crawl's CPU in the
 * profile.
 */
class DeadlineSignal {
  aborted = false;
  reason: unknown = undefined;
  // One listener is the rule (the downloader's own, or axios's): a field, so a download allocates no listener array.
  private listener: AbortListener | undefined = undefined;
  private more: Set<AbortListener> | undefined = undefined;

  addEventListener(type: string, listener: AbortListener): void {
    if (type !== 'abort' || this.aborted) return;
    if (this.listener === undefined && this.more === undefined) this.listener = listener;
    else (this.more ??= new Set()).add(listener);
  }

  removeEventListener(type: string, listener: AbortListener): void {
    if (type !== 'abort') return;
    if (this.listener === listener) this.listener = undefined;
    else this.more?.delete(listener);
  }

  on(type: string, listener: AbortListener): this {
    this.addEventListener(type, listener);
    return this;
  }

  once(type: string, listener: AbortListener): this {
    return this.on(type, listener);
  }

  removeListener(type: string, listener: AbortListener): this {
    this.removeEventListener(type, listener);
    return this;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const first = this.listener;
    const more = this.more;
    this.listener = undefined;
    this.more = undefined;
    first?.();
    if (more !== undefined) for (const listener of more) listener();
  }
}

/**
 * One deadline over connect, headers and body, aborting `signal` when it passes or when the caller's signal aborts.
 * `dispose()` must run when the request settles.
 */
export class DownloadDeadline {
  // Only a timed download needs a signal of its own; otherwise the caller's signal (if any) is passed on as is, so
  // the common case (no deadline, no caller signal) allocates no signal, listener or timer per request.
  private readonly own: DeadlineSignal | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly onAbort = (): void => this.own?.abort(this.callerSignal?.reason);
  timedOut = false;

  constructor(
    readonly timeoutMs: number,
    private readonly callerSignal: AbortSignal | undefined,
  ) {
    if (!(timeoutMs > 0 && Number.isFinite(timeoutMs))) {
      this.own = undefined;
      this.timer = undefined;
      return;
    }
    const own = new DeadlineSignal();
    this.own = own;
    this.timer = setTimeout(() => {
      this.timedOut = true;
      own.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    }, timeoutMs);
    if (callerSignal?.aborted) own.abort(callerSignal.reason);
    else callerSignal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Typed as AbortSignal for the clients' option types; it implements the members they read (see DeadlineSignal). */
  get signal(): AbortSignal | undefined {
    return (this.own as unknown as AbortSignal | undefined) ?? this.callerSignal;
  }

  dispose(): void {
    if (this.own === undefined) return;
    clearTimeout(this.timer);
    this.callerSignal?.removeEventListener('abort', this.onAbort);
  }
}

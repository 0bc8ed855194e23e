import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { Agent, ProxyAgent, type Dispatcher } from 'undici';
import type { HttpMethod, RequestData, ResponseData } from '../request/request-data.js';
import type { DownloadError } from './download.error.js';
import type { DownloadOptions, Downloader } from './downloader.interface.js';
import {
  aborted,
  failure,
  flattenHeaders,
  hasLimit,
  messageOf,
  proxyUrl,
  requestBody,
  requestHeaders,
  targetUrl,
  tooLarge,
  DownloadDeadline,
  sleepBeforeSend,
} from './request-encoding.js';
import { nextRedirect } from './redirect-hop.js';
import { reportingSent, withOnSent } from './undici-sent-report.js';

export interface UndiciDownloaderOptions {
  /** Connections per origin (undici `connections`), kept alive for reuse. */
  poolSize: number;
  /** Sent when the request sets no user-agent header. */
  userAgent?: string;
  /** Redirects followed before failing; 0 returns the 3xx as a response. Default 10. */
  maxRedirects?: number;
  /** TCP/TLS connect deadline in ms. Default 10 s. */
  connectTimeoutMs?: number;
  /** Proxy dispatchers kept (one per proxy URL, least recently used dropped). Default 1000. */
  maxProxyClients?: number;
}

const ACCEPT_ENCODING = 'gzip, deflate, br';
const KEEP_ALIVE_MS = 60_000;
const NETWORK_CODES_AS_TIMEOUT: ReadonlySet<string> = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);
const INVALID_REQUEST_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'ERR_INVALID_URL',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
  'ERR_INVALID_CHAR',
  'ERR_INVALID_HTTP_TOKEN',
]);

/**
 * The fast built-in downloader ("undici"): one undici Agent (keep-alive, pipelining 1, `poolSize` connections
 * per origin), one non-tunnelling ProxyAgent per proxy URL, redirects followed here (so the final URL is known),
 * bodies decoded (gzip/deflate/br) and size-capped while streaming. Behaves like AxiosDownloader.
 */
export class UndiciDownloader implements Downloader {
  readonly name = 'undici';
  readonly reportsSent = true;
  private readonly agent: Agent;
  private readonly proxies = new Map<string, ProxyAgent>();
  private readonly userAgent: string | undefined;
  private readonly maxRedirects: number;
  private readonly maxProxyClients: number;
  private readonly poolSize: number;
  private readonly connectTimeoutMs: number;
  private closed = false;

  constructor(options: UndiciDownloaderOptions) {
    const poolSize = options.poolSize;
    if (!Number.isInteger(poolSize) || poolSize < 1) {
      throw new RangeError(`UndiciDownloader: poolSize must be an integer >= 1, got ${String(poolSize)}`);
    }
    this.poolSize = poolSize;
    this.userAgent = options.userAgent;
    this.maxRedirects = options.maxRedirects ?? 10;
    this.maxProxyClients = options.maxProxyClients ?? 1000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.agent = new Agent(this.dispatcherOptions());
  }

  async download(req: RequestData, opts: DownloadOptions): Promise<ResponseData> {
    if (this.closed) throw failure('invalid_request', req, 'the downloader is closed');
    let target = targetUrl(req);
    const direct = req.proxy === undefined ? this.agent : this.proxyFor(proxyUrl(req), req);
    const dispatcher = opts.onSent === undefined ? direct : reportingSent(direct);
    const headers = requestHeaders(req, this.userAgent);
    headers['accept-encoding'] ??= ACCEPT_ENCODING;
    let body = requestBody(req, headers);
    const signal = opts.signal;
    await sleepBeforeSend(req, signal);
    const timeoutMs = req.timeoutMs ?? opts.timeoutMs;
    const deadline = new DownloadDeadline(timeoutMs, signal);
    const max = opts.maxResponseSize;
    const started = performance.now();
    let method: HttpMethod = req.method;
    try {
      for (let hop = 0; ; hop++) {
        const u = new URL(target);
        const res = await dispatcher.request(
          withOnSent(
            {
              origin: u.origin,
              path: `${u.pathname}${u.search}`,
              method,
              headers,
              body,
              signal: deadline.signal,
            },
            opts.onSent,
          ),
        );
        let next;
        try {
          next = nextRedirect(
            req,
            hop,
            this.maxRedirects,
            res.statusCode,
            res.headers['location'],
            target,
            method,
            headers,
          );
        } catch (err) {
          // too many hops or an invalid Location: the body is not read, so free its socket
          discard(res.body);
          throw err;
        }
        if (next) {
          res.body.resume();
          target = next.url;
          method = next.method;
          if (next.dropBody) body = undefined;
          continue;
        }
        const responseHeaders = flattenHeaders(res.headers);
        const noBody = method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304;
        const bytes = noBody
          ? (res.body.resume(), Buffer.alloc(0))
          : await readBody(res.body, responseHeaders, max, req);
        return {
          id: req.id,
          status: res.statusCode,
          url: target,
          headers: responseHeaders,
          body: bytes,
          request: req,
          elapsedMs: performance.now() - started,
        };
      }
    } catch (err) {
      if (isDownloadError(err)) throw err;
      if (deadline.timedOut) throw failure('timeout', req, `timed out after ${timeoutMs} ms`, err);
      if (signal?.aborted) throw aborted(req, err);
      throw classify(err, req);
    } finally {
      deadline.dispose();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all: Dispatcher[] = [this.agent, ...this.proxies.values()];
    this.proxies.clear();
    await Promise.all(all.map((d) => d.destroy().catch(() => undefined)));
  }

  private dispatcherOptions(): Agent.Options {
    return {
      connections: this.poolSize,
      pipelining: 1,
      keepAliveTimeout: KEEP_ALIVE_MS,
      // Our own deadline (timeoutMs) covers headers and body; undici's defaults would add a second, hidden one.
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: { timeout: this.connectTimeoutMs },
    };
  }

  private proxyFor(u: URL, req: RequestData): ProxyAgent {
    const key = u.href;
    let proxy = this.proxies.get(key);
    if (proxy !== undefined) {
      // Re-inserted so Map order is least-recently-used first.
      this.proxies.delete(key);
      this.proxies.set(key, proxy);
      return proxy;
    }
    try {
      // proxyTunnel false: plain-http targets go as absolute-URI requests (what forward proxies expect);
      // https targets still use CONNECT.
      proxy = new ProxyAgent({ ...this.dispatcherOptions(), uri: key, proxyTunnel: false });
    } catch (err) {
      throw failure('invalid_request', req, `invalid proxy URL ${key}: ${messageOf(err)}`, err);
    }
    this.proxies.set(key, proxy);
    if (this.proxies.size > this.maxProxyClients) {
      const oldest = this.proxies.keys().next().value;
      if (oldest !== undefined) {
        void this.proxies
          .get(oldest)
          ?.close()
          .catch(() => undefined);
        this.proxies.delete(oldest);
      }
    }
    return proxy;
  }
}

/** Reads (and decodes) the body, failing as soon as the decoded size passes the limit. */
async function readBody(
  raw: Readable,
  headers: Record<string, string>,
  max: number,
  req: RequestData,
): Promise<Buffer> {
  const limited = hasLimit(max);
  const encoding = (headers['content-encoding'] ?? '').trim().toLowerCase();
  const declared = Number(headers['content-length']);
  if (limited && encoding === '' && Number.isFinite(declared) && declared > max) {
    discard(raw);
    throw tooLarge(req, max);
  }
  const decoder = decoderFor(encoding);
  const source: Readable = decoder ? raw.pipe(decoder) : raw;
  if (decoder) raw.on('error', (err: Error) => decoder.destroy(err));
  const chunks: Buffer[] = [];
  let total = 0;
  let rawBytes = 0;
  if (decoder) raw.on('data', (c: Buffer) => (rawBytes += c.byteLength));
  try {
    await collect(source, (buf) => {
      total += buf.byteLength;
      if (limited && total > max) {
        discard(raw);
        if (source !== raw) discard(source);
        throw tooLarge(req, max);
      }
      chunks.push(buf);
    });
  } catch (err) {
    if (isDownloadError(err)) throw err;
    // An empty body declared as compressed (some servers do that on errors) is just empty.
    if (decoder && rawBytes === 0) return Buffer.alloc(0);
    throw decoder && rawBytes > 0 && !isStreamAbort(err)
      ? failure('network', req, `cannot decode ${encoding} body: ${messageOf(err)}`, err)
      : err;
  }
  if (decoder) {
    delete headers['content-encoding'];
    delete headers['content-length'];
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

/**
 * Feeds every chunk of `source` to `onChunk` until the stream ends; rejects with the stream's error, with what
 * `onChunk` throws, or when the stream closes before its end. Plain listeners, because an async iterator over a
 * stream costs several promises per chunk, a measurable share of a small page's download.
 */
function collect(source: Readable, onChunk: (chunk: Buffer) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      reject(err);
    };
    source.on('data', (chunk: Buffer) => {
      if (settled) return;
      try {
        onChunk(chunk);
      } catch (err) {
        fail(err);
      }
    });
    source.on('error', fail);
    source.once('end', () => {
      if (settled) return;
      settled = true;
      resolve();
    });
    // 'close' follows 'end' on every stream: the error (and its stack trace) is built only for a real early close.
    source.once('close', () => {
      if (settled) return;
      fail(
        Object.assign(new Error('body stream closed before its end'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }),
      );
    });
  });
}

function decoderFor(encoding: string): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | undefined {
  // Flush modes let a truncated-but-valid stream end without "unexpected end of file".
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip({
        flush: zlib.constants.Z_SYNC_FLUSH,
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
      });
    case 'deflate':
      return zlib.createInflate({
        flush: zlib.constants.Z_SYNC_FLUSH,
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
      });
    case 'br':
      return zlib.createBrotliDecompress({
        flush: zlib.constants.BROTLI_OPERATION_FLUSH,
        finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
      });
    default:
      return undefined;
  }
}

/** Destroys a stream whose remaining data nobody wants; the abort error it then emits is expected. */
function discard(stream: Readable): void {
  stream.on('error', () => undefined);
  stream.destroy();
}

function isStreamAbort(err: unknown): boolean {
  const code = codeOf(err);
  return code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR' || (err as Error)?.name === 'AbortError';
}

function isDownloadError(err: unknown): err is DownloadError {
  return err instanceof Error && err.name === 'DownloadError';
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function classify(err: unknown, req: RequestData): DownloadError {
  // undici wraps socket errors; the OS code (ECONNREFUSED, ...) sits on the cause.
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  const code = codeOf(err) ?? codeOf(cause);
  let message = messageOf(err);
  if (cause instanceof Error && !message.includes(cause.message)) message = `${message} (${cause.message})`;
  if (code !== undefined && NETWORK_CODES_AS_TIMEOUT.has(code)) {
    return failure('timeout', req, `timed out (${message})`, err);
  }
  if (code !== undefined && INVALID_REQUEST_CODES.has(code)) {
    return failure('invalid_request', req, `refused before sending: ${message}`, err);
  }
  return failure(
    'network',
    req,
    code !== undefined && !message.includes(code) ? `${code} ${message}` : message,
    err,
  );
}

import { performance } from 'node:perf_hooks';
import { Agent, ProxyAgent, type Dispatcher } from 'undici';
import type { HttpMethod, RequestData, ResponseData } from '../request/request-data.js';
import { DownloadError } from './download.error.js';
import type { DownloadOptions, Downloader } from './downloader.interface.js';
import {
  aborted,
  failure,
  messageOf,
  proxyUrl,
  requestBody,
  requestHeaders,
  targetOf,
  targetUrl,
  DownloadDeadline,
  sleepBeforeSend,
} from './request-encoding.js';
import { UndiciExchange } from './undici-exchange.js';

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
    let url = targetUrl(req);
    const dispatcher = req.proxy === undefined ? this.agent : this.proxyFor(proxyUrl(req), req);
    const headers = requestHeaders(req, this.userAgent);
    headers['accept-encoding'] ??= ACCEPT_ENCODING;
    let body = requestBody(req, headers);
    const signal = opts.signal;
    const sleeping = sleepBeforeSend(req, signal);
    if (sleeping) await sleeping;
    const timeoutMs = req.timeoutMs ?? opts.timeoutMs;
    const deadline = new DownloadDeadline(timeoutMs, signal);
    const started = performance.now();
    let method: HttpMethod = req.method;
    let exchange: UndiciExchange | undefined;
    const onAbort = (): void => exchange?.abort(deadline.signal?.reason);
    deadline.signal?.addEventListener('abort', onAbort);
    try {
      for (let hop = 0; ; hop++) {
        // Aborted between hops: classified below like any abort.
        if (deadline.signal?.aborted) throw new Error('aborted');
        const target = url.href;
        exchange = new UndiciExchange({
          req,
          hop,
          maxRedirects: this.maxRedirects,
          target,
          method,
          headers,
          maxResponseSize: opts.maxResponseSize,
          onSent: opts.onSent,
        });
        dispatcher.dispatch({ origin: url.origin, path: url.path, method, headers, body }, exchange);
        const res = await exchange.result;
        const next = res.redirect;
        if (next) {
          url = targetOf(new URL(next.url));
          method = next.method;
          if (next.dropBody) body = undefined;
          continue;
        }
        return {
          id: req.id,
          status: res.status,
          url: target,
          headers: res.headers,
          body: res.body,
          request: req,
          elapsedMs: performance.now() - started,
        };
      }
    } catch (err) {
      if (err instanceof DownloadError) throw err;
      if (deadline.timedOut) throw failure('timeout', req, `timed out after ${timeoutMs} ms`, err);
      if (signal?.aborted) throw aborted(req, err);
      throw classify(err, req);
    } finally {
      deadline.signal?.removeEventListener('abort', onAbort);
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

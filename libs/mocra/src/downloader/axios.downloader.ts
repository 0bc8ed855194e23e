import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import axios, {
  type AxiosInstance,
  type AxiosProxyConfig,
  type AxiosRequestConfig,
  type AxiosResponse,
} from 'axios';
import type { HttpMethod, RequestData, ResponseData } from '../request/request-data.js';
import { DownloadError } from './download.error.js';
import type { DownloadOptions, Downloader } from './downloader.interface.js';
import {
  aborted,
  DEFAULT_ACCEPT,
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

export interface AxiosDownloaderOptions {
  /** Most open sockets per origin (and idle sockets kept for reuse). */
  poolSize: number;
  /** Sent when the request sets no user-agent header. */
  userAgent?: string;
  /** Redirects followed before failing; 0 returns the 3xx as a response. Default 10. */
  maxRedirects?: number;
}

// axios error codes for a request it refused to send.
const INVALID_REQUEST_CODES: ReadonlySet<string> = new Set([
  'ERR_BAD_REQUEST',
  'ERR_BAD_OPTION',
  'ERR_BAD_OPTION_VALUE',
  'ERR_INVALID_URL',
  'ERR_NOT_SUPPORT',
  'ERR_FR_MAX_BODY_LENGTH_EXCEEDED',
  'ERR_INVALID_CHAR',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_HTTP_INVALID_HEADER_VALUE',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
]);

/**
 * The default HTTP downloader ("request_downloader", the seeds' name): one axios instance over keep-alive agents
 * shared by every request, bodies as bytes, every HTTP status returned as a response.
 */
export class AxiosDownloader implements Downloader {
  readonly name = 'request_downloader';
  private readonly http: AxiosInstance;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly userAgent: string | undefined;
  private readonly maxRedirects: number;
  private closed = false;

  constructor(options: AxiosDownloaderOptions) {
    const poolSize = options.poolSize;
    if (!Number.isInteger(poolSize) || poolSize < 1) {
      throw new RangeError(`AxiosDownloader: poolSize must be an integer >= 1, got ${String(poolSize)}`);
    }
    const agentOptions = { keepAlive: true, maxSockets: poolSize, maxFreeSockets: poolSize };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
    this.userAgent = options.userAgent;
    this.maxRedirects = options.maxRedirects ?? 10;
    // The headers requestHeaders() adds to a request that sets none: a plain GET then sends no per-request headers
    // and axios merges a config of four keys, not eleven (mergeConfig was the largest mocra-added cost in axios).
    const defaultHeaders: Record<string, string> = { accept: DEFAULT_ACCEPT };
    if (this.userAgent !== undefined) defaultHeaders['user-agent'] = this.userAgent;
    this.http = axios.create({
      headers: defaultHeaders,
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      validateStatus: () => true,
      responseType: 'arraybuffer',
      decompress: true,
      // Redirects are followed in download(), as the undici downloader does: axios would otherwise wrap every
      // request, redirected or not, in follow-redirects' stream proxy, a large share of its per-request CPU.
      maxRedirects: 0,
      // Bodies are serialised here (see requestBody) and returned as bytes; axios must not transform them.
      transformRequest: [],
      transformResponse: [],
      // No `proxy: false` here, although a request must use exactly the proxy it names and no environment proxy:
      // with it axios keeps a closure over each request's whole adapter state, which then outlives two young-gen
      // GCs (5x the promoted bytes, a tenth of a crawl's CPU). download() sets it only when the environment does
      // name a proxy; otherwise axios's environment lookup finds none and connects directly, as false would.
      timeout: 0,
    });
  }

  async download(req: RequestData, opts: DownloadOptions): Promise<ResponseData> {
    if (this.closed) throw failure('invalid_request', req, 'the downloader is closed');
    let target = targetUrl(req).href;
    const proxy = req.proxy === undefined ? false : proxyConfig(proxyUrl(req));
    const headers = requestHeaders(req, this.userAgent);
    // Nothing beyond the instance's default headers: no header, cookie or body of its own.
    const plain =
      isEmpty(req.headers) &&
      isEmpty(req.cookies) &&
      req.json === undefined &&
      req.form === undefined &&
      req.body === undefined;
    let data = requestBody(req, headers);
    const signal = opts.signal;
    const sleeping = sleepBeforeSend(req, signal);
    if (sleeping) await sleeping;
    const timeoutMs = req.timeoutMs ?? opts.timeoutMs;
    const deadline = new DownloadDeadline(timeoutMs, signal);
    const max = opts.maxResponseSize;
    const started = performance.now();
    let method: HttpMethod = req.method;
    try {
      for (let hop = 0; ; hop++) {
        const config: AxiosRequestConfig = { url: target, method, signal: deadline.signal };
        if (hop > 0 || !plain) config.headers = headers;
        if (data !== undefined) config.data = data;
        if (proxy !== false) config.proxy = proxy;
        else if (environmentNamesProxy()) config.proxy = false;
        if (hasLimit(max)) config.maxContentLength = max;
        const res: AxiosResponse<Buffer> = await this.http.request<Buffer>(config);
        const location: unknown = res.headers['location'];
        const next = nextRedirect(req, hop, this.maxRedirects, res.status, location, target, method, headers);
        if (next) {
          target = next.url;
          method = next.method;
          if (next.dropBody) data = undefined;
          continue;
        }
        return {
          id: req.id,
          status: res.status,
          url: target,
          headers: flattenHeaders(res.headers),
          body: res.data ?? Buffer.alloc(0),
          request: req,
          elapsedMs: performance.now() - started,
        };
      }
    } catch (err) {
      if (err instanceof DownloadError) throw err;
      if (deadline.timedOut) throw failure('timeout', req, `timed out after ${timeoutMs} ms`, err);
      if (signal?.aborted) throw aborted(req, err);
      throw classify(err, req, max);
    } finally {
      deadline.dispose();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

// What axios's environment lookup (proxy-from-env) reads, and the npm_config_ forms its older versions read.
const ENV_PROXY_VARIABLES = [
  'http_proxy',
  'HTTP_PROXY',
  'https_proxy',
  'HTTPS_PROXY',
  'all_proxy',
  'ALL_PROXY',
  'npm_config_http_proxy',
  'npm_config_https_proxy',
  'npm_config_proxy',
] as const;

/** Read per request, as axios reads them: a variable set after the downloader was built must not be followed. */
function environmentNamesProxy(): boolean {
  const env = process.env;
  for (const name of ENV_PROXY_VARIABLES) if (env[name]) return true;
  return false;
}

function isEmpty(record: Readonly<Record<string, string>>): boolean {
  for (const _ in record) return false;
  return true;
}

function proxyConfig(u: URL): AxiosProxyConfig {
  const config: AxiosProxyConfig = {
    protocol: u.protocol.slice(0, -1),
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80,
  };
  if (u.username || u.password) {
    config.auth = { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  }
  return config;
}

function classify(err: unknown, req: RequestData, maxResponseSize: number): DownloadError {
  const code =
    typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : undefined;
  const message = messageOf(err);
  // axios signals an exceeded maxContentLength only through this code and message.
  if (code === 'ERR_BAD_RESPONSE' && message.includes('maxContentLength')) {
    return tooLarge(req, maxResponseSize, err);
  }
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT')
    return failure('timeout', req, `timed out (${message})`, err);
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

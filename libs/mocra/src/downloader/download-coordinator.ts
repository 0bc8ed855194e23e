import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CacheService } from '../cache/cache.service.js';
import { Semaphore } from '../common/semaphore.js';
import type { MocraConfig } from '../config/mocra-config.js';
import { plainUrlOriginEnd } from '../request/plain-url.js';
import type { RequestData, ResponseData } from '../request/request-data.js';
import { DownloadError } from './download.error.js';
import type { DownloadOptions, Downloader } from './downloader.interface.js';
import { HostPoliteness, type HostPolitenessOptions } from './host-politeness.js';
import { ProxyPools } from './proxy-pools.js';
import type { ProxyLease, ProxyPool } from './proxy-pool.js';
import { LocalRateLimiter, type RateLimit, type RateLimiter, type SentSignal } from './rate-limiter.js';
import { failure } from './request-encoding.js';
import { ResponseCache } from './response-cache.js';
import { RobotsRules, type RobotsFetcher } from './robots-rules.js';
import { SessionJars } from './session-jars.js';

/** How one module downloads, resolved by the engine from `@CrawlerModule` options and `[modules.<name>]`. */
export interface ModuleDownloadPolicy {
  module: string;
  /** Requests per second for the whole module; 0 = no limit. */
  rateLimit: number;
  /** Name of a `[download_config.groups.<name>]` whose rate the module shares with others. */
  rateLimitGroup?: string;
  /** Downloads in flight for the module; 0 = no cap. */
  concurrency: number;
  /** Whole-download deadline in ms when the request sets none; 0 = none. */
  timeoutMs: number;
  /** Pool (`[proxy]` entries' `pool`) to download through; a request's own proxy wins. */
  proxyPool?: string;
  enableSession: boolean;
  responseCache: { enabled: boolean; ttlSecs?: number };
  robotsTxt: boolean;
  /** Largest body in bytes; <= 0 = none. */
  maxResponseSize: number;
}

export interface DownloadCoordinatorOptions {
  config: MocraConfig;
  downloader: Downloader;
  cache: CacheService;
  clock?: () => number;
  /** Defaults to an in-process LocalRateLimiter; the Raft-backed one shares limits across nodes. */
  rateLimiter?: RateLimiter;
  /** Defaults to the pools built from `config.proxy`. */
  proxyPools?: ProxyPools;
  politeness?: Partial<HostPolitenessOptions>;
  /** How robots.txt is fetched; defaults to the downloader itself (no politeness gates, 10 s, 512 KiB). */
  robotsFetcher?: RobotsFetcher;
  /** Product token matched against robots.txt groups when a request sets no User-Agent. Default "mocra". */
  userAgent?: string;
  /** Proxies tried for one request when the previous one failed as a proxy. Default 3. */
  proxyAttempts?: number;
  /** Told of every download that had to wait for a rate limit (host, group or module), with the wait in ms. */
  onRateLimitWait?: (module: string, waitedMs: number) => void;
  /**
   * A promise while the crawl is paused, undefined otherwise. Downloads waiting for a slot hold here, and one that
   * got its slot during a pause gives it back and waits: after a pause only requests already leaving go out.
   */
  pauseGate?: () => Promise<void> | undefined;
}

/** What passing the gates holds: the concurrency slots, and the rate slots until the request leaves. */
interface PassedGates {
  release(): void;
  /** Undefined when no rate limit applies. */
  sent: SentSignal | undefined;
}

const NOTHING_TO_RELEASE = (): void => undefined;
const ROBOTS_TIMEOUT_MS = 10_000;
const ROBOTS_MAX_BYTES = 512 * 1024;
/** Proxy statuses meaning "the proxy refused", not "the site answered". */
const PROXY_FAILURE_STATUSES: ReadonlySet<number> = new Set([407]);

/**
 * Everything between "a request is due" and "a response or a DownloadError": response cache read-through/write,
 * robots.txt, per-module / per-group / per-host rate limits and concurrency caps (waiting without busy loops),
 * Retry-After and adaptive 503 per host, proxy selection and scoring, and the session cookie jar per
 * (module, runId). The engine calls `download` for every request and `endRun` when a module run ends.
 *
 * Gate order for a request: cache hit? -> sleepMs -> robots.txt -> wait out a host block -> module and host
 * concurrency -> host, group and module rate (taken together, held until the request is written) -> proxy -> send.
 * A proxy failure (connect/reset/timeout/407 through a pool proxy) is retried on another proxy of the pool.
 */
export class DownloadCoordinator {
  private readonly config: MocraConfig;
  private readonly downloader: Downloader;
  private readonly cache: CacheService;
  private readonly clock: () => number;
  private readonly limiter: RateLimiter;
  private readonly politeness: HostPoliteness;
  private readonly pools: ProxyPools;
  private readonly robots: RobotsRules;
  private readonly sessions = new SessionJars();
  private readonly responses: ResponseCache;
  private readonly moduleSlots = new Map<string, Semaphore>();
  private readonly hostSlots = new Map<string, Semaphore>();
  private readonly userAgent: string;
  private readonly proxyAttempts: number;
  private readonly onRateLimitWait: ((module: string, waitedMs: number) => void) | undefined;
  private readonly pauseGate: (() => Promise<void> | undefined) | undefined;
  private closed = false;

  constructor(opts: DownloadCoordinatorOptions) {
    this.config = opts.config;
    this.downloader = opts.downloader;
    this.cache = opts.cache;
    this.clock = opts.clock ?? Date.now;
    this.pauseGate = opts.pauseGate;
    this.limiter = opts.rateLimiter ?? new LocalRateLimiter();
    this.politeness = new HostPoliteness(opts.politeness, this.clock);
    this.pools = opts.proxyPools ?? new ProxyPools(opts.config.proxy, { clock: this.clock });
    this.robots = new RobotsRules(this.cache, opts.robotsFetcher ?? ((url) => this.fetchRobots(url)));
    this.responses = new ResponseCache(this.cache);
    this.userAgent = opts.userAgent ?? 'mocra';
    this.proxyAttempts = Math.max(1, opts.proxyAttempts ?? 3);
    this.onRateLimitWait = opts.onRateLimitWait;
  }

  async download(
    req: RequestData,
    policy: ModuleDownloadPolicy,
    signal?: AbortSignal,
  ): Promise<ResponseData> {
    if (this.closed) throw failure('invalid_request', req, 'the download coordinator is closed');
    const url = originOf(req);
    const dc = this.config.download_config;
    const module = policy.module;

    const cacheOn = !dc.response_cache_bypass && (req.enableResponseCache ?? policy.responseCache.enabled);
    if (cacheOn) {
      const hit = await this.responses.get(module, req);
      if (hit !== undefined) return hit;
    }

    if (req.sleepMs !== undefined && req.sleepMs > 0) await this.pause(req, req.sleepMs, signal);

    const host = url.host;
    const hostConfig = dc.hosts[host] ?? dc.hosts[hostnameOf(host)];
    let hostRate = hostConfig?.rate_limit ?? dc.host_rate_limit;
    const hostConcurrency = hostConfig?.concurrency ?? dc.host_concurrency;
    if (policy.robotsTxt) {
      const verdict = await this.robots.check(req.url, this.requestUserAgent(req));
      if (!verdict.allowed)
        throw failure('robots_disallowed', req, `robots.txt of ${url.origin} disallows it`);
      if (verdict.crawlDelaySecs !== undefined) {
        const floor = 1 / verdict.crawlDelaySecs;
        hostRate = hostRate > 0 ? Math.min(hostRate, floor) : floor;
      }
    }
    const groupRate =
      policy.rateLimitGroup !== undefined ? (dc.groups[policy.rateLimitGroup]?.rate_limit ?? 0) : 0;
    const baseRate = slowest(hostRate, groupRate, policy.rateLimit);

    const pool = this.poolFor(req, policy);
    const gates =
      this.passGatesNow(host, hostRate, hostConcurrency, groupRate, policy) ??
      (await this.passGates(req, host, hostRate, hostConcurrency, groupRate, policy, signal));
    try {
      const res = await this.send(req, policy, pool, host, signal, gates.sent);
      this.politeness.onResponse(host, res.status, res.headers, baseRate);
      const sessionOn = req.enableSession ?? policy.enableSession;
      if (sessionOn) this.sessions.store(module, req.runId, res.url, res.headers['set-cookie']);
      if (cacheOn) {
        const ttlSecs = policy.responseCache.ttlSecs ?? dc.cache_ttl;
        await this.responses.put(module, req, res, ttlSecs * 1000);
      }
      return res;
    } finally {
      // Failed before leaving (proxy lease, connect error): the rate slots must not stay taken.
      gates.sent?.();
      gates.release();
    }
  }

  /** Discards the run's session cookie jar. */
  endRun(module: string, runId: string): void {
    this.sessions.endRun(module, runId);
  }

  /** Stops accepting downloads. The downloader and the cache belong to the caller and stay open. */
  close(): Promise<void> {
    this.closed = true;
    this.sessions.clear();
    return Promise.resolve();
  }

  /**
   * The gates when none of them has to wait (no pause, no host block, no rate limit, free slots), without the
   * promise and the resumption an async pass costs every download; undefined when one would wait.
   */
  private passGatesNow(
    host: string,
    hostRate: number,
    hostConcurrency: number,
    groupRate: number,
    policy: ModuleDownloadPolicy,
  ): PassedGates | undefined {
    if (groupRate > 0 || policy.rateLimit > 0 || this.politeness.effectiveRate(host, hostRate) > 0)
      return undefined;
    if (this.pauseGate?.() || this.politeness.blockedUntil(host) > this.clock()) return undefined;
    const moduleSlot = this.slot(this.moduleSlots, policy.module, policy.concurrency);
    const hostSlot = this.slot(this.hostSlots, host, hostConcurrency);
    if (moduleSlot !== undefined && !moduleSlot.tryAcquire()) return undefined;
    if (hostSlot !== undefined && !hostSlot.tryAcquire()) {
      moduleSlot?.release();
      return undefined;
    }
    return { release: releaseOf(moduleSlot, hostSlot), sent: undefined };
  }

  /**
   * Waits for a host block, the concurrency caps and the rate limits. The rate slots stay taken until the request
   * is written (see RateLimiter.acquireUntilSent), so sends are spaced where they leave, not where they were let go.
   */
  private async passGates(
    req: RequestData,
    host: string,
    hostRate: number,
    hostConcurrency: number,
    groupRate: number,
    policy: ModuleDownloadPolicy,
    signal: AbortSignal | undefined,
  ): Promise<PassedGates> {
    // Every download passes here, and most find nothing to wait for: each step awaits only when it must wait, so
    // the common case allocates no promise, closure or rate-limit key.
    for (;;) {
      const paused = this.pauseGate?.();
      if (paused) await paused;
      // Waiting out a block holds no slot, so the module's other hosts keep flowing meanwhile.
      if (this.politeness.blockedUntil(host) > this.clock()) await this.hostUnblocked(req, host, signal);
      const moduleSlot = this.slot(this.moduleSlots, policy.module, policy.concurrency);
      const hostSlot = this.slot(this.hostSlots, host, hostConcurrency);
      const moduleWait = moduleSlot?.acquire();
      if (moduleWait) await moduleWait;
      const hostWait = hostSlot?.acquire();
      if (hostWait) await hostWait;
      const release = releaseOf(moduleSlot, hostSlot);
      const effectiveHostRate = this.politeness.effectiveRate(host, hostRate);
      let sent: SentSignal | undefined;
      if (effectiveHostRate > 0 || groupRate > 0 || policy.rateLimit > 0) {
        const limits: RateLimit[] = [{ key: `host:${host}`, ratePerSec: effectiveHostRate }];
        if (policy.rateLimitGroup !== undefined) {
          limits.push({ key: `group:${policy.rateLimitGroup}`, ratePerSec: groupRate });
        }
        limits.push({ key: `module:${policy.module}`, ratePerSec: policy.rateLimit });
        try {
          const granted = this.limiter.acquireUntilSent(limits);
          if (typeof granted === 'function') {
            sent = granted;
          } else {
            const waitStart = performance.now();
            sent = await granted;
            this.onRateLimitWait?.(policy.module, performance.now() - waitStart);
          }
        } catch (err) {
          release();
          throw err;
        }
      }
      // A 429 that arrived while this request waited for its slot blocks it too; so does a pause.
      if (this.politeness.blockedUntil(host) <= this.clock() && !this.pauseGate?.()) {
        return { release, sent };
      }
      sent?.();
      release();
    }
  }

  private async hostUnblocked(
    req: RequestData,
    host: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    for (let until = this.politeness.blockedUntil(host); until > this.clock();) {
      await this.pause(req, until - this.clock(), signal);
      until = this.politeness.blockedUntil(host);
    }
  }

  private async send(
    req: RequestData,
    policy: ModuleDownloadPolicy,
    pool: ProxyPool | undefined,
    host: string,
    signal: AbortSignal | undefined,
    sent: SentSignal | undefined,
  ): Promise<ResponseData> {
    // A downloader that reports the write instant holds the rate slots until then; otherwise calling it is the send.
    const onSent = this.downloader.reportsSent === true ? sent : undefined;
    const sessionOn = req.enableSession ?? policy.enableSession;
    const cookies = sessionOn
      ? { ...this.sessions.cookiesFor(policy.module, req.runId, req.url), ...req.cookies }
      : req.cookies;
    const attempts = pool ? this.proxyAttempts : 1;
    for (let attempt = 1; ; attempt++) {
      let lease: ProxyLease | undefined;
      if (pool) {
        lease = await pool.lease(signal);
        if (lease === undefined) {
          throw failure('proxy_unavailable', req, `proxy pool "${pool.name}" has no usable proxy`);
        }
      }
      // The request goes out as it came unless a session, a pool proxy or an already-served sleep changes it: the
      // copy (and the copy of the response that undoes it) would otherwise be made for every request.
      const data: RequestData =
        cookies === req.cookies && lease === undefined && req.sleepMs === undefined
          ? req
          : { ...req, cookies, sleepMs: undefined, proxy: lease?.url ?? req.proxy };
      let res: ResponseData;
      try {
        if (onSent === undefined) sent?.();
        const options: DownloadOptions = {
          timeoutMs: policy.timeoutMs,
          maxResponseSize: policy.maxResponseSize,
        };
        if (signal) options.signal = signal;
        if (onSent) options.onSent = onSent;
        res = await this.downloader.download(data, options);
      } catch (err) {
        const connectionFailure =
          err instanceof DownloadError && (err.kind === 'network' || err.kind === 'timeout');
        if (lease && connectionFailure) {
          lease.failed();
          if (attempt < attempts) continue;
        } else {
          lease?.released();
          if (connectionFailure && data.proxy === undefined) this.politeness.onNetworkError(host);
        }
        throw err;
      }
      if (lease && PROXY_FAILURE_STATUSES.has(res.status)) {
        lease.failed();
        if (attempt < attempts) continue;
      } else {
        lease?.succeeded(res.elapsedMs);
      }
      return data === req ? res : { ...res, request: req };
    }
  }

  private poolFor(req: RequestData, policy: ModuleDownloadPolicy): ProxyPool | undefined {
    if (req.proxy !== undefined || policy.proxyPool === undefined) return undefined;
    const pool = this.pools.get(policy.proxyPool);
    if (pool === undefined) {
      const known = this.pools.names();
      throw failure(
        'invalid_request',
        req,
        `module "${policy.module}" uses proxy pool "${policy.proxyPool}", which [proxy] does not define ` +
          `(pools: ${known.length > 0 ? known.map((n) => `"${n}"`).join(', ') : 'none'})`,
      );
    }
    return pool;
  }

  private slot(map: Map<string, Semaphore>, key: string, limit: number): Semaphore | undefined {
    if (!(limit > 0)) return undefined;
    let sem = map.get(key);
    if (sem === undefined) {
      sem = new Semaphore(limit);
      map.set(key, sem);
    } else {
      // Config reloads and per-run overrides change caps at runtime.
      sem.setLimit(limit);
    }
    return sem;
  }

  private async pause(req: RequestData, ms: number, signal: AbortSignal | undefined): Promise<void> {
    try {
      await sleep(Math.max(1, Math.ceil(ms)), undefined, signal ? { signal } : undefined);
    } catch (err) {
      throw failure('aborted', req, 'aborted by the caller', err);
    }
  }

  private requestUserAgent(req: RequestData): string {
    for (const name of Object.keys(req.headers)) {
      if (name.toLowerCase() === 'user-agent') return req.headers[name]!;
    }
    return this.userAgent;
  }

  private async fetchRobots(robotsUrl: string): Promise<{ status: number; body: string }> {
    const res = await this.downloader.download(
      {
        id: `robots:${robotsUrl}`,
        url: robotsUrl,
        method: 'GET',
        headers: { 'user-agent': this.userAgent },
        params: [],
        cookies: {},
        meta: {},
      },
      { timeoutMs: ROBOTS_TIMEOUT_MS, maxResponseSize: ROBOTS_MAX_BYTES },
    );
    return { status: res.status, body: Buffer.from(res.body).toString('utf8') };
  }
}

/** The lowest positive rate (0 when none limits). */
function slowest(...rates: number[]): number {
  let out = 0;
  for (const r of rates) if (r > 0 && (out === 0 || r < out)) out = r;
  return out;
}

/** Gives back the slots a download took; a slot's own bound releaser when it took one, no closure. */
function releaseOf(moduleSlot: Semaphore | undefined, hostSlot: Semaphore | undefined): () => void {
  if (hostSlot === undefined) return moduleSlot?.releaser ?? NOTHING_TO_RELEASE;
  if (moduleSlot === undefined) return hostSlot.releaser;
  return () => {
    hostSlot.release();
    moduleSlot.release();
  };
}

/** The parts of a request URL the gates read: read off the string when it is plain, else from one parse. */
function originOf(req: RequestData): { host: string; origin: string } {
  const end = plainUrlOriginEnd(req.url);
  if (end >= 0) {
    const origin = req.url.slice(0, end);
    return { host: origin.slice(origin.indexOf('//') + 2), origin };
  }
  try {
    const u = new URL(req.url);
    return { host: u.host, origin: u.origin };
  } catch (err) {
    throw failure('invalid_request', req, 'invalid URL', err);
  }
}

/** `host` without its port (IPv6 brackets kept, as URL.hostname keeps them). */
function hostnameOf(host: string): string {
  const colon = host.lastIndexOf(':');
  return colon > host.lastIndexOf(']') ? host.slice(0, colon) : host;
}

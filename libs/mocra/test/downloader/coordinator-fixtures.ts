import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { LocalCacheService } from '../../src/cache/index.js';
import { loadConfig } from '../../src/config/index.js';
import {
  AxiosDownloader,
  DownloadCoordinator,
  UndiciDownloader,
  type Downloader,
  type DownloadCoordinatorOptions,
  type ModuleDownloadPolicy,
} from '../../src/downloader/index.js';
import { Request, type RequestData } from '../../src/request/index.js';

/** One request as a site saw it, with a monotonic arrival time in ms. */
export interface Arrival {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  at: number;
}

export interface Site {
  base: string;
  host: string;
  arrivals: Arrival[];
  hits(path: string): Arrival[];
  close(): Promise<void>;
}

/** A site whose handler decides each answer; arrivals are stamped when the headers arrive. */
export async function startSite(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<Site> {
  const arrivals: Arrival[] = [];
  const server = http.createServer((req, res) => {
    arrivals.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      at: performance.now(),
    });
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    arrivals,
    hits: (path) => arrivals.filter((a) => a.url.split('?')[0] === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ForwardProxy {
  url: string;
  /** Requests the proxy accepted (absolute URIs). */
  seen: string[];
  close(): Promise<void>;
}

/** A real forward HTTP proxy for absolute-URI requests; `failing` drops every connection instead. */
export async function startForwardProxy(failing = false): Promise<ForwardProxy> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    if (failing) {
      req.socket.destroy();
      return;
    }
    const target = new URL(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, { ...up.headers, via: '1.1 test-proxy' });
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.statusCode = 502;
      res.end('bad gateway');
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const DOWNLOADERS: Array<[string, () => Downloader]> = [
  ['axios', () => new AxiosDownloader({ poolSize: 16 })],
  ['undici', () => new UndiciDownloader({ poolSize: 16 })],
];

export function policy(overrides: Partial<ModuleDownloadPolicy> = {}): ModuleDownloadPolicy {
  return {
    module: 'shop',
    rateLimit: 0,
    concurrency: 16,
    timeoutMs: 5_000,
    enableSession: false,
    responseCache: { enabled: false },
    robotsTxt: false,
    maxResponseSize: 10 * 1024 * 1024,
    ...overrides,
  };
}

export interface Harness {
  coordinator: DownloadCoordinator;
  cache: LocalCacheService;
  downloader: Downloader;
  close(): Promise<void>;
}

/** A coordinator over a real downloader and a local cache, with config sections given as plain objects. */
export function harness(
  makeDownloader: () => Downloader,
  config: Record<string, unknown> = {},
  extra: Partial<DownloadCoordinatorOptions> = {},
): Harness {
  const downloader = makeDownloader();
  const cache = new LocalCacheService({ sweepIntervalMs: 0 });
  const coordinator = new DownloadCoordinator({
    config: loadConfig({ name: 'politeness-test', ...config }),
    downloader,
    cache,
    ...extra,
  });
  return {
    coordinator,
    cache,
    downloader,
    close: async () => {
      await coordinator.close();
      await downloader.close();
      await cache.close();
    },
  };
}

export function get(url: string, runId = 'run-1'): RequestData {
  return { ...Request.get(url).toData(), runId };
}

export function text(body: Uint8Array): string {
  return Buffer.from(body).toString('utf8');
}

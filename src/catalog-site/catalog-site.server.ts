import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  errorHtml,
  expectedProduct,
  listHtml,
  NOT_FOUND_HTML,
  productHtml,
  ROBOTS_TXT,
  type CatalogLayout,
  type ExpectedProduct,
} from './catalog-site.content.js';
import {
  resolveCatalogSiteOptions,
  type CatalogSiteOptions,
  type ResolvedCatalogSiteOptions,
} from './catalog-site.options.js';
import { CatalogSiteCounters, type CatalogSiteStats } from './catalog-site.stats.js';
import { seededRandom } from './seeded-random.js';

export interface CatalogSite {
  /** Base URL without trailing slash, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly port: number;
  readonly options: ResolvedCatalogSiteOptions;
  stats(): CatalogSiteStats;
  /** What a correct parser extracts from `/product/:id`; throws for an id the site does not serve. */
  expectedProduct(id: number): ExpectedProduct;
  /** 1..products. */
  productIds(): number[];
  /** Stops listening and drops open keep-alive connections. Safe to call twice. */
  close(): Promise<void>;
}

const HTML = 'text/html; charset=utf-8';
const STATS_PATH = '/__stats';
const CATALOG_PREFIX = '/catalog/';
const PRODUCT_PREFIX = '/product/';

/** Parses the id segment of `/catalog/:page` or `/product/:id`; only canonical positive integers match. */
function idAfter(path: string, prefix: string, max: number): number | undefined {
  const s = path.slice(prefix.length);
  if (s.length === 0 || s.length > 9 || s.charCodeAt(0) === 48 /* '0' */) return undefined;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    n = n * 10 + c;
  }
  return n <= max ? n : undefined;
}

function urlHost(host: string): string {
  // The server listens on every interface for these, but a client must dial a concrete address.
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

interface Reply {
  status: number;
  type: string;
  body: string | Buffer;
}

export async function startCatalogSite(opts: CatalogSiteOptions = {}): Promise<CatalogSite> {
  const options = resolveCatalogSiteOptions(opts);
  const layout: CatalogLayout = options;
  const counters = new CatalogSiteCounters();
  const random = seededRandom(options.seed);
  // List pages are few and requested by every crawl: build each once. Product pages are built per request
  // (string concatenation), so a 100k-product site does not hold 100k pages in memory.
  const listCache: (Buffer | undefined)[] = new Array<Buffer | undefined>(options.listPages + 1);
  const firstHitServed = new Uint8Array(options.failFirstHitEvery > 0 ? options.products + 1 : 0);
  const pendingDelays = new Set<NodeJS.Timeout>();

  const fail = (status: number): Reply => {
    counters.failure();
    return { status, type: HTML, body: errorHtml(status) };
  };
  const randomFailure = (): boolean => options.failureRate > 0 && random() < options.failureRate;

  const route = (path: string): Reply => {
    if (path.startsWith(PRODUCT_PREFIX)) {
      const id = idAfter(path, PRODUCT_PREFIX, options.products);
      if (id === undefined) return { status: 404, type: HTML, body: NOT_FOUND_HTML };
      if (options.alwaysFail.has(id)) return fail(500);
      if (options.failFirstHitEvery > 0 && id % options.failFirstHitEvery === 0 && firstHitServed[id] === 0) {
        firstHitServed[id] = 1;
        return fail(503);
      }
      if (randomFailure()) return fail(500);
      return { status: 200, type: HTML, body: productHtml(layout, id) };
    }
    if (path.startsWith(CATALOG_PREFIX)) {
      const page = idAfter(path, CATALOG_PREFIX, options.listPages);
      if (page === undefined) return { status: 404, type: HTML, body: NOT_FOUND_HTML };
      if (randomFailure()) return fail(500);
      let body = listCache[page];
      if (body === undefined) {
        body = Buffer.from(listHtml(layout, page));
        listCache[page] = body;
      }
      return { status: 200, type: HTML, body };
    }
    if (path === '/robots.txt') return { status: 200, type: 'text/plain; charset=utf-8', body: ROBOTS_TXT };
    return { status: 404, type: HTML, body: NOT_FOUND_HTML };
  };

  const send = (res: ServerResponse, reply: Reply): void => {
    const length = typeof reply.body === 'string' ? Buffer.byteLength(reply.body) : reply.body.length;
    const headers: Record<string, string | number> = { 'content-type': reply.type, 'content-length': length };
    if (reply.status >= 500) headers['cache-control'] = 'no-store';
    res.writeHead(reply.status, headers);
    res.end(reply.body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q === -1 ? raw : raw.slice(0, q);
    if (options.exposeStats && path === STATS_PATH) {
      send(res, { status: 200, type: 'application/json', body: JSON.stringify(counters.toJson()) });
      return;
    }
    counters.record(path);
    const reply: Reply =
      req.method === 'GET' || req.method === 'HEAD'
        ? route(path)
        : { status: 405, type: 'text/plain; charset=utf-8', body: 'method not allowed\n' };
    if (options.delayMs === 0) {
      send(res, reply);
      return;
    }
    const timer = setTimeout(() => {
      pendingDelays.delete(timer);
      send(res, reply);
    }, options.delayMs);
    pendingDelays.add(timer);
  };

  const server = createServer(handle);
  server.keepAliveTimeout = 60_000;
  // Must exceed keepAliveTimeout, or an idle keep-alive socket can be cut while a client reuses it.
  server.headersTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(new Error(`catalog site cannot listen on ${options.host}:${options.port}: ${err.message}`));
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });

  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${urlHost(options.host)}:${port}`,
    port,
    options,
    stats: () => counters.snapshot(),
    expectedProduct: (id: number) => {
      if (!Number.isInteger(id) || id < 1 || id > options.products) {
        throw new RangeError(`catalog site has products 1..${options.products}, no product ${id}`);
      }
      return expectedProduct(id);
    },
    productIds: () => Array.from({ length: options.products }, (_, i) => i + 1),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of pendingDelays) clearTimeout(timer);
        pendingDelays.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

export { STATS_PATH as CATALOG_SITE_STATS_PATH };

// The hand-written crawler that mocra's pipeline is compared with. It has to be the best a careful engineer
// would write in an afternoon with the same tools (axios + keep-alive agent, the parser mocra uses with selectors
// compiled once, a Set of seen URLs, a worker pool), so the benchmark ratio measures the framework's overhead, not
// a weak baseline.
import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import axios from 'axios';
import { Agent as UndiciAgent, request as undiciRequest } from 'undici';
import { extractListHrefs, extractProduct } from './catalog-extract.js';

export type CatalogShape = 'wide' | 'chain';

export interface RawProduct {
  url: string;
  name: string;
  price: number;
  sku: string;
}

export interface RawAxiosLoopOptions {
  /** Site base URL, e.g. `http://127.0.0.1:40123` (a trailing slash is ignored). */
  baseUrl: string;
  /** Worker count, also the agent's maxSockets. */
  concurrency: number;
  /** 'wide': all list pages are known up front and queued at once; 'chain': start at /catalog/1 and follow. */
  shape: CatalogShape;
  listPages: number;
  /** Extra attempts for a 5xx or network error. Default 3. */
  maxRetries?: number;
  /** Per-request timeout. Default 30 000 ms. */
  timeoutMs?: number;
  /** Receives every extracted product (the benchmark leaves it out; tests check the extraction). */
  onItem?: (item: RawProduct) => void;
  /** HTTP client of the loop. Default 'axios'. */
  client?: 'axios' | 'undici';
}

interface TextClient {
  get(url: string): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

function axiosClient(concurrency: number, timeoutMs: number): TextClient {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const client = axios.create({
    httpAgent: agent,
    responseType: 'text',
    timeout: timeoutMs,
    // The status decides retries here, not an exception per 5xx; no redirects on this site, so skip the
    // follow-redirects wrapper.
    validateStatus: () => true,
    maxRedirects: 0,
  });
  return {
    get: async (url) => {
      const res = await client.get<string>(url);
      return { status: res.status, text: res.data };
    },
    close: async () => agent.destroy(),
  };
}

function undiciClient(concurrency: number, timeoutMs: number): TextClient {
  const dispatcher = new UndiciAgent({ connections: concurrency, keepAliveTimeout: 60_000 });
  return {
    get: async (url) => {
      const res = await undiciRequest(url, { dispatcher, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
      return { status: res.statusCode, text: await res.body.text() };
    },
    close: () => dispatcher.close(),
  };
}

export interface RawAxiosLoopResult {
  /** Distinct pages fetched with a 2xx answer. */
  pages: number;
  /** Products extracted with name, sku and a numeric price. */
  items: number;
  elapsedMs: number;
  /** CPU time of this whole process (user + system) during the crawl. */
  cpuMs: number;
  /** Pages given up after all retries. */
  failedPages: number;
  /** Extra attempts made (after 5xx answers or network errors). */
  retries: number;
}

export async function runRawAxiosLoop(opts: RawAxiosLoopOptions): Promise<RawAxiosLoopResult> {
  const { concurrency, shape, listPages, onItem } = opts;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(`runRawAxiosLoop: concurrency must be a positive integer, got ${concurrency}`);
  }
  if (!Number.isInteger(listPages) || listPages < 1) {
    throw new Error(`runRawAxiosLoop: listPages must be a positive integer, got ${listPages}`);
  }
  const maxRetries = opts.maxRetries ?? 3;
  const origin = new URL(opts.baseUrl).origin;
  const base = opts.baseUrl.replace(/\/+$/, '');

  const timeoutMs = opts.timeoutMs ?? 30_000;
  const client =
    opts.client === 'undici' ? undiciClient(concurrency, timeoutMs) : axiosClient(concurrency, timeoutMs);

  // FIFO over an array with a moving head: shift() would be O(n) per pop.
  let queue: string[] = [];
  let head = 0;
  const seen = new Set<string>();
  let inFlight = 0;
  let waiters: (() => void)[] = [];
  let pages = 0;
  let items = 0;
  let failedPages = 0;
  let retries = 0;

  const enqueue = (url: string): void => {
    if (seen.has(url)) return;
    seen.add(url);
    queue.push(url);
    waiters.pop()?.();
  };
  const resolveHref = (href: string, pageUrl: string): string =>
    href.charCodeAt(0) === 47 /* '/' */ && href.charCodeAt(1) !== 47
      ? origin + href
      : new URL(href, pageUrl).href;

  const fetchText = async (url: string): Promise<string | undefined> => {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await client.get(url);
        if (res.status >= 200 && res.status < 300) return res.text;
        if (res.status < 500) return undefined;
      } catch {
        // network error or timeout: retried like a 5xx
      }
      if (attempt >= maxRetries) return undefined;
      retries++;
    }
  };

  const visit = async (url: string): Promise<void> => {
    const html = await fetchText(url);
    if (html === undefined) {
      failedPages++;
      return;
    }
    pages++;
    if (url.includes('/product/')) {
      const product = extractProduct(html);
      if (product !== undefined) {
        items++;
        onItem?.({ url, ...product });
      }
      return;
    }
    for (const href of extractListHrefs(html)) enqueue(resolveHref(href, url));
  };

  const worker = async (): Promise<void> => {
    while (true) {
      if (head < queue.length) {
        const url = queue[head++] as string;
        if (head > 4096 && head * 2 > queue.length) {
          queue = queue.slice(head);
          head = 0;
        }
        inFlight++;
        try {
          await visit(url);
        } finally {
          inFlight--;
        }
        if (inFlight === 0 && head >= queue.length) {
          const done = waiters;
          waiters = [];
          for (const wake of done) wake();
        }
        continue;
      }
      if (inFlight === 0) return;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };

  const cpuStart = process.cpuUsage();
  const start = performance.now();
  if (shape === 'wide') for (let p = 1; p <= listPages; p++) enqueue(`${base}/catalog/${p}`);
  else enqueue(`${base}/catalog/1`);
  try {
    await Promise.all(Array.from({ length: concurrency }, () => worker()));
  } finally {
    await client.close();
  }
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  return { pages, items, elapsedMs, cpuMs: (cpu.user + cpu.system) / 1000, failedPages, retries };
}

/** The same loop on undici's pooled client: the fastest raw HTTP path Node offers. */
export function runRawUndiciLoop(opts: RawAxiosLoopOptions): Promise<RawAxiosLoopResult> {
  return runRawAxiosLoop({ ...opts, client: 'undici' });
}

/** Options of the embedded catalog site; every field has a default (see `resolveCatalogSiteOptions`). */
export interface CatalogSiteOptions {
  /** Number of products, ids 1..products. Default 200. */
  products?: number;
  /** Number of list pages; products are spread evenly over them in id order. Default 10. */
  listPages?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** 0 picks a free port. Default 0. */
  port?: number;
  /** Artificial latency added to every response, in milliseconds. Default 0. */
  delayMs?: number;
  /** Every Nth product (N, 2N, ...) answers 503 on its first request and 200 afterwards. 0 = off (default). */
  failFirstHitEvery?: number;
  /** Product ids that always answer 500. Default none. */
  alwaysFail?: readonly number[];
  /** Probability in [0, 1] that a catalog or product page answers 500. Default 0. */
  failureRate?: number;
  /** Seed of the PRNG behind `failureRate`, so a failing run can be replayed. Default 1. */
  seed?: number;
  /**
   * List pages link again to some products of the previous list page, to themselves and to the first page,
   * so a crawler must deduplicate. Default true.
   */
  repeatLinks?: boolean;
  /**
   * true: each list page links to the next one (`a.next`), a crawl must walk them in sequence.
   * false ("wide"): /catalog/1 links to every list page (`a.page`). Default true.
   */
  chain?: boolean;
  /** Serve `GET /__stats` (stats as JSON, not itself counted). Default false; the standalone server turns it on. */
  exposeStats?: boolean;
}

export interface ResolvedCatalogSiteOptions {
  readonly products: number;
  readonly listPages: number;
  readonly host: string;
  readonly port: number;
  readonly delayMs: number;
  readonly failFirstHitEvery: number;
  readonly alwaysFail: ReadonlySet<number>;
  readonly failureRate: number;
  readonly seed: number;
  readonly repeatLinks: boolean;
  readonly chain: boolean;
  readonly exposeStats: boolean;
}

function nonNegativeInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new Error(
      `catalog site option "${name}" must be a non-negative integer, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new Error(`catalog site option "${name}" must be a boolean, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Applies defaults and rejects values that would make the site ill-defined, naming the option at fault. */
export function resolveCatalogSiteOptions(opts: CatalogSiteOptions = {}): ResolvedCatalogSiteOptions {
  const products = nonNegativeInteger('products', opts.products, 200);
  const listPages = nonNegativeInteger('listPages', opts.listPages, 10);
  if (listPages < 1) throw new Error('catalog site option "listPages" must be at least 1, got 0');
  const port = nonNegativeInteger('port', opts.port, 0);
  if (port > 65535) throw new Error(`catalog site option "port" must be at most 65535, got ${port}`);
  const host = opts.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.length === 0) {
    throw new Error(`catalog site option "host" must be a non-empty string, got ${JSON.stringify(host)}`);
  }
  const failureRate = opts.failureRate ?? 0;
  if (typeof failureRate !== 'number' || !(failureRate >= 0 && failureRate <= 1)) {
    throw new Error(
      `catalog site option "failureRate" must be a number in [0, 1], got ${JSON.stringify(failureRate)}`,
    );
  }
  const alwaysFail = opts.alwaysFail ?? [];
  if (!Array.isArray(alwaysFail)) {
    throw new Error(
      `catalog site option "alwaysFail" must be an array of product ids, got ${JSON.stringify(alwaysFail)}`,
    );
  }
  alwaysFail.forEach((id, i) => nonNegativeInteger(`alwaysFail[${i}]`, id, 0));
  return {
    products,
    listPages,
    host,
    port,
    delayMs: nonNegativeInteger('delayMs', opts.delayMs, 0),
    failFirstHitEvery: nonNegativeInteger('failFirstHitEvery', opts.failFirstHitEvery, 0),
    alwaysFail: new Set(alwaysFail),
    failureRate,
    seed: nonNegativeInteger('seed', opts.seed, 1),
    repeatLinks: flag('repeatLinks', opts.repeatLinks, true),
    chain: flag('chain', opts.chain, true),
    exposeStats: flag('exposeStats', opts.exposeStats, false),
  };
}

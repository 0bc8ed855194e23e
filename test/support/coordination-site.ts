import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROBE_HEADER } from '../../src/cluster-node/cluster-probe.headers.js';

/** One request as the site saw it. Times are this process's wall clock in ms. */
export interface SiteHit {
  path: string;
  node: string;
  run: string;
  /** The fencing token the request carried (serial module), undefined when it carried none. */
  token: number | undefined;
  arrivedAt: number;
  /** When the site finished answering (after any deliberate delay). */
  answeredAt: number;
}

export interface CoordinationSite {
  url: string;
  hits: SiteHit[];
  /** Hits whose path starts with `prefix`. */
  of(prefix: string): SiteHit[];
  close(): Promise<void>;
}

export interface CoordinationSiteOptions {
  products: number;
  /** How long each serial step is held open, so a serial run lasts a while. */
  serialStepMs: number;
}

/**
 * The site a Raft-coordinated cluster crawls, recording every request with the headers the probe modules send
 * (node, run, fencing token), so cluster-wide properties are checked where they matter: at the site.
 * `/catalog/products` lists `/catalog/product/1..n`; `/serial/<step>` answers after `serialStepMs`; everything
 * else answers `ok` at once.
 */
export async function startCoordinationSite(options: CoordinationSiteOptions): Promise<CoordinationSite> {
  const hits: SiteHit[] = [];
  const header = (value: string | string[] | undefined): string =>
    Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    const rawToken = header(req.headers[PROBE_HEADER.fencingToken]);
    const hit: SiteHit = {
      path,
      node: header(req.headers[PROBE_HEADER.node]),
      run: header(req.headers[PROBE_HEADER.run]),
      token: /^\d+$/.test(rawToken) ? Number(rawToken) : undefined,
      arrivedAt: Date.now(),
      answeredAt: 0,
    };
    hits.push(hit);
    const answer = (body: string, type = 'text/plain'): void => {
      hit.answeredAt = Date.now();
      res.setHeader('content-type', type);
      res.end(body);
    };
    if (path === '/catalog/products') {
      const links = Array.from({ length: options.products }, (_, i) => `/catalog/product/${i + 1}`);
      answer(JSON.stringify(links), 'application/json');
      return;
    }
    const product = /^\/catalog\/product\/(\d+)$/.exec(path);
    if (product) {
      answer(JSON.stringify({ id: Number(product[1]) }), 'application/json');
      return;
    }
    if (path.startsWith('/serial/')) {
      setTimeout(() => answer('ok'), options.serialStepMs);
      return;
    }
    answer('ok');
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    of: (prefix) => hits.filter((h) => h.path.startsWith(prefix)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

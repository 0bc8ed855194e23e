import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
// Imported through the barrels, so their ESM re-exports are exercised at runtime too.
import {
  AxiosDownloader,
  DownloadError,
  UndiciDownloader,
  type Downloader,
  type DownloadOptions,
} from '../../src/downloader/index.js';
import { Request, Response, type RequestData } from '../../src/request/index.js';
import { closedPort, startProxyStandIn, startTestServer, type TestServer } from './test-server.js';

const OPTS: DownloadOptions = { timeoutMs: 5_000, maxResponseSize: 10 * 1024 * 1024 };

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

interface DownloaderFactoryOptions {
  poolSize: number;
  userAgent?: string;
  maxRedirects?: number;
}

// Both built-in downloaders must pass the same suite.
const DOWNLOADERS: Array<[string, (o: DownloaderFactoryOptions) => Downloader]> = [
  ['AxiosDownloader', (o) => new AxiosDownloader(o)],
  ['UndiciDownloader', (o) => new UndiciDownloader(o)],
];

describe.each(DOWNLOADERS)('%s', (name, make) => {
  let server: TestServer;
  let downloader: Downloader;

  beforeAll(async () => {
    server = await startTestServer();
    downloader = make({ poolSize: 4, userAgent: 'mocra-test/1' });
  });

  afterAll(async () => {
    await downloader.close();
    await server.close();
  });

  beforeEach(() => server.reset());

  async function fetchEcho(req: Request): Promise<Echo> {
    const res = await downloader.download(req.toData(), OPTS);
    expect(res.status).toBe(200);
    return new Response(res).json<Echo>();
  }

  async function downloadError(data: RequestData, opts: DownloadOptions = OPTS): Promise<DownloadError> {
    try {
      await downloader.download(data, opts);
    } catch (err) {
      expect(err).toBeInstanceOf(DownloadError);
      return err as DownloadError;
    }
    throw new Error(`expected ${data.url} to fail`);
  }

  describe(`${name} requests`, () => {
    it('sends params after the query already in the URL, and the headers', async () => {
      const echo = await fetchEcho(
        Request.get(`${server.base}/echo?fixed=a%20b#frag`)
          .withParams({ q: 'red shoes', page: 2 })
          .withHeaders({ 'X-Trace': 't-1' }),
      );
      expect(echo.method).toBe('GET');
      expect(echo.url).toBe('/echo?fixed=a%20b&q=red%20shoes&page=2');
      expect(echo.headers['x-trace']).toBe('t-1');
      expect(echo.headers['user-agent']).toBe('mocra-test/1');
    });

    it('lets a request override the user agent', async () => {
      const echo = await fetchEcho(
        Request.get(`${server.base}/echo`).withHeaders({ 'User-Agent': 'custom/2' }),
      );
      expect(echo.headers['user-agent']).toBe('custom/2');
    });

    it('POSTs a JSON body with its content type', async () => {
      const echo = await fetchEcho(Request.post(`${server.base}/echo`).withJson({ name: 'é', n: [1, 2] }));
      expect(echo.method).toBe('POST');
      expect(echo.headers['content-type']).toBe('application/json');
      expect(JSON.parse(echo.body)).toEqual({ name: 'é', n: [1, 2] });
    });

    it('POSTs a urlencoded form', async () => {
      const echo = await fetchEcho(
        Request.post(`${server.base}/echo`).withForm([
          ['a', '1 2'],
          ['a', '&'],
          ['b', 'ü'],
        ]),
      );
      expect(echo.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect([...new URLSearchParams(echo.body)]).toEqual([
        ['a', '1 2'],
        ['a', '&'],
        ['b', 'ü'],
      ]);
    });

    it('POSTs raw bytes, sending only the view of a subarray', async () => {
      const backing = Buffer.from('XXhello bytesYY');
      const data = Request.post(`${server.base}/echo`)
        .withHeaders({ 'content-type': 'text/plain' })
        .withBody(new Uint8Array(backing.buffer, backing.byteOffset + 2, 11))
        .toData();
      await downloader.download(data, OPTS);
      expect(server.seen[0]?.body.toString()).toBe('hello bytes');
      expect(server.seen[0]?.headers['content-type']).toBe('text/plain');
    });

    it('sends cookies in one Cookie header, merged with an explicit one', async () => {
      const echo = await fetchEcho(
        Request.get(`${server.base}/echo`)
          .withHeaders({ cookie: 'pre=0' })
          .withCookies({ sid: 'abc', lang: 'en' }),
      );
      expect(echo.headers['cookie']).toBe('pre=0; sid=abc; lang=en');
    });

    it('honours sleepMs before sending', async () => {
      const started = Date.now();
      await downloader.download(Request.get(`${server.base}/echo`).withSleep(150).toData(), OPTS);
      expect(server.seen[0]!.receivedAt - started).toBeGreaterThanOrEqual(140);
    });

    it('goes through the request proxy with the absolute URL and proxy credentials', async () => {
      const proxy = await startProxyStandIn();
      try {
        const res = await downloader.download(
          Request.get('http://origin.invalid/page?x=1').useProxy(proxy.url).toData(),
          OPTS,
        );
        expect(Buffer.from(res.body).toString()).toBe('via proxy');
        expect(proxy.seen[0]?.url).toBe('http://origin.invalid/page?x=1');
        const auth = proxy.seen[0]?.headers['proxy-authorization'];
        expect(auth).toBe(`Basic ${Buffer.from('proxyuser:proxypass').toString('base64')}`);
      } finally {
        await proxy.close();
      }
    });
    it('ignores a proxy named by the environment: only a request proxy is followed', async () => {
      const proxy = await startProxyStandIn();
      const names = ['HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'NO_PROXY', 'no_proxy'] as const;
      const saved = names.map((n) => process.env[n]);
      for (const n of names) process.env[n] = n.toLowerCase() === 'no_proxy' ? '' : proxy.url;
      try {
        const echo = await fetchEcho(Request.get(`${server.base}/echo?direct=1`));
        expect(echo.url).toBe('/echo?direct=1');
        expect(proxy.seen).toEqual([]);
      } finally {
        names.forEach((n, i) => {
          if (saved[i] === undefined) delete process.env[n];
          else process.env[n] = saved[i];
        });
        await proxy.close();
      }
    });
  });

  describe(`${name} responses`, () => {
    it('returns a 503 as a response, not an error', async () => {
      const req = Request.get(`${server.base}/status/503`).toData();
      const res = await downloader.download(req, OPTS);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(Buffer.from(res.body).toString()).toBe('busy');
      expect(res.id).toBe(req.id);
      expect(res.request).toBe(req);
    });

    it('decodes a gzip body and drops content-encoding', async () => {
      const res = await downloader.download(Request.get(`${server.base}/gzip`).toData(), OPTS);
      expect(server.seen[0]?.headers['accept-encoding']).toMatch(/gzip/);
      expect(new Response(res).text()).toBe('decoded ✓ '.repeat(100));
      expect(res.headers['content-encoding']).toBeUndefined();
    });

    it('decodes brotli and deflate bodies', async () => {
      const br = await downloader.download(Request.get(`${server.base}/br`).toData(), OPTS);
      expect(new Response(br).text()).toBe('brotli ✓ '.repeat(100));
      const deflate = await downloader.download(Request.get(`${server.base}/deflate`).toData(), OPTS);
      expect(new Response(deflate).text()).toBe('deflate ✓ '.repeat(100));
      expect(server.seen[0]?.headers['accept-encoding']).toMatch(/br/);
    });

    it('returns an empty body for an empty body declared as gzip, a 204 and a HEAD', async () => {
      const empty = await downloader.download(Request.get(`${server.base}/gzip-empty`).toData(), OPTS);
      expect(empty.status).toBe(200);
      expect(empty.body.byteLength).toBe(0);
      const noContent = await downloader.download(Request.get(`${server.base}/no-content`).toData(), OPTS);
      expect(noContent.status).toBe(204);
      expect(noContent.body.byteLength).toBe(0);
      const head = await downloader.download(new Request(`${server.base}/gzip`, 'HEAD').toData(), OPTS);
      expect(head.status).toBe(200);
      expect(head.body.byteLength).toBe(0);
    });

    it('turns a POST answered with 303 into a GET of the new location', async () => {
      const res = await downloader.download(
        Request.post(`${server.base}/redirect-post`).withJson({ a: 1 }).toData(),
        OPTS,
      );
      expect(res.status).toBe(200);
      expect(server.seen[1]?.method).toBe('GET');
      expect(server.seen[1]?.url).toBe('/echo?from=303');
    });

    it('follows redirects and reports the final URL', async () => {
      const res = await downloader.download(Request.get(`${server.base}/redirect`).toData(), OPTS);
      expect(res.status).toBe(200);
      expect(res.url).toBe(`${server.base}/echo?from=redirect`);
    });

    it('returns the 3xx itself when redirects are off, and fails a redirect loop as network', async () => {
      const own = make({ poolSize: 1, maxRedirects: 0 });
      try {
        const res = await own.download(Request.get(`${server.base}/redirect`).toData(), OPTS);
        expect(res.status).toBe(302);
        expect(res.headers['location']).toBe('/echo?from=redirect');
      } finally {
        await own.close();
      }
      const err = await downloadError(Request.get(`${server.base}/loop`).toData());
      expect(err.kind).toBe('network');
      expect(err.message).toMatch(/redirect/i);
    });

    it('joins repeated headers: set-cookie with newlines, others with commas', async () => {
      const res = await downloader.download(Request.get(`${server.base}/cookies`).toData(), OPTS);
      expect(res.headers['set-cookie']).toBe('a=1; Path=/\nb=2; Path=/');
      expect(res.headers['x-multi']).toBe('one, two');
    });

    it('feeds a Response that decodes latin-1 and resolves links', async () => {
      const res = new Response(
        await downloader.download(Request.get(`${server.base}/latin1`).toData(), OPTS),
      );
      expect(res.css('p.n')).toEqual(['Crème brûlée']);
      expect(res.links()).toEqual([`${server.base}/next?p=2`]);
    });

    it('reuses keep-alive sockets: 50 sequential requests open fewer sockets than requests', async () => {
      const fresh = await startTestServer();
      const own = make({ poolSize: 4 });
      try {
        for (let i = 0; i < 50; i++) {
          const res = await own.download(Request.get(`${fresh.base}/echo`).withParams({ i }).toData(), OPTS);
          expect(res.status).toBe(200);
        }
        expect(fresh.seen.length).toBe(50);
        expect(fresh.connections()).toBeGreaterThan(0);
        expect(fresh.connections()).toBeLessThan(5);
      } finally {
        await own.close();
        await fresh.close();
      }
    });
  });

  describe(`${name} errors`, () => {
    it('times out waiting for headers as a retryable timeout naming the URL', async () => {
      const url = `${server.base}/hang`;
      const err = await downloadError(Request.get(url).toData(), { ...OPTS, timeoutMs: 200 });
      expect(err.kind).toBe('timeout');
      expect(err.retryable).toBe(true);
      expect(err.url).toBe(url);
      expect(err.message).toContain(url);
    });

    it('times out a body that trickles past the deadline, using the request timeout first', async () => {
      const err = await downloadError(Request.get(`${server.base}/drip`).withTimeout(250).toData(), OPTS);
      expect(err.kind).toBe('timeout');
      expect(err.message).toContain('250 ms');
    });

    it('rejects a chunked body over maxResponseSize as too_large', async () => {
      const url = `${server.base}/big-chunked`;
      const err = await downloadError(Request.get(url).toData(), { ...OPTS, maxResponseSize: 64 * 1024 });
      expect(err.kind).toBe('too_large');
      expect(err.retryable).toBe(false);
      expect(err.message).toContain(url);
      const ok = await downloader.download(Request.get(url).toData(), {
        ...OPTS,
        maxResponseSize: 512 * 1024,
      });
      expect(ok.body.byteLength).toBe(256 * 1024);
    });

    it('caps the decoded size of a compressed body, not only the bytes on the wire', async () => {
      const url = `${server.base}/gzip-large`;
      const err = await downloadError(Request.get(url).toData(), { ...OPTS, maxResponseSize: 1024 * 1024 });
      expect(err.kind).toBe('too_large');
      expect(err.message).toContain('1048576');
    });

    it('fails 10 MiB streamed without Content-Length at a 1 MiB limit, naming limit and URL, memory bounded', async () => {
      const url = `${server.base}/huge-chunked`;
      const limit = 1024 * 1024;
      const concurrency = 4;
      const before = process.memoryUsage().rss;
      const errors = await Promise.all(
        Array.from({ length: concurrency }, () =>
          downloadError(Request.get(url).toData(), { ...OPTS, maxResponseSize: limit }),
        ),
      );
      const growth = process.memoryUsage().rss - before;
      for (const err of errors) {
        expect(err.kind).toBe('too_large');
        expect(err.message).toContain(`max_response_size of ${limit} bytes`);
        expect(err.message).toContain(url);
      }
      // Buffering whole bodies would need 10 MiB x concurrency; stopping at the limit needs about 1 MiB each.
      expect(growth).toBeLessThan(10 * 1024 * 1024 * concurrency * 0.5);
    });

    it('reports a refused connection as a retryable network error', async () => {
      const url = `http://127.0.0.1:${await closedPort()}/x`;
      const err = await downloadError(Request.get(url).toData());
      expect(err.kind).toBe('network');
      expect(err.retryable).toBe(true);
      expect(err.message).toMatch(/ECONNREFUSED/);
      expect(err.message).toContain(url);
    });

    it('refuses an unsendable request as invalid_request without a network call', async () => {
      const base = Request.get(`${server.base}/echo`).toData();
      const badHeader = await downloadError({ ...base, headers: { 'x-bad': 'a\nb' } });
      expect(badHeader.kind).toBe('invalid_request');
      expect(badHeader.retryable).toBe(false);
      const badScheme = await downloadError({ ...base, url: 'ftp://files.test/x' });
      expect(badScheme.kind).toBe('invalid_request');
      const badProxy = await downloadError({ ...base, proxy: 'socks5://10.0.0.1:1080' });
      expect(badProxy.kind).toBe('invalid_request');
      const badJson = await downloadError({ ...base, method: 'POST', json: { n: 1n } });
      expect(badJson.kind).toBe('invalid_request');
      expect(badJson.message).toMatch(/BigInt/i);
      expect(server.seen.length).toBe(0);
    });

    it('stops on the caller signal with an aborted error', async () => {
      const controller = new AbortController();
      const pending = downloadError(Request.get(`${server.base}/hang`).toData(), {
        ...OPTS,
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(), 50);
      const err = await pending;
      expect(err.kind).toBe('aborted');
    });

    it('refuses to download after close()', async () => {
      const own = make({ poolSize: 1 });
      await own.close();
      const err = await own
        .download(Request.get(`${server.base}/echo`).toData(), OPTS)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DownloadError);
      expect((err as DownloadError).kind).toBe('invalid_request');
    });

    it('rejects a pool size below 1', () => {
      expect(() => make({ poolSize: 0 })).toThrow(/poolSize/);
    });
  });
});

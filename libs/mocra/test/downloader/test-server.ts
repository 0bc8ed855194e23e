import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';

/** What the server saw of one request. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  receivedAt: number;
}

export interface TestServer {
  base: string;
  port: number;
  seen: SeenRequest[];
  /** TCP connections accepted since start (or the last reset). */
  connections(): number;
  reset(): void;
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

const routes: Record<string, Handler> = {
  '/echo': (req, res, body) => {
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: body.toString('utf8') }),
    );
  },
  '/status/503': (_req, res) => {
    res.statusCode = 503;
    res.setHeader('retry-after', '1');
    res.end('busy');
  },
  // Headers never come: only a deadline ends the wait.
  '/hang': () => undefined,
  // Headers at once, then the body trickles for longer than any test deadline.
  '/drip': (_req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.write('start');
    const timer = setInterval(() => res.write('.'), 50);
    res.on('close', () => clearInterval(timer));
  },
  // 256 KiB with no Content-Length (chunked transfer encoding).
  '/big-chunked': (_req, res) => {
    res.setHeader('content-type', 'application/octet-stream');
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    for (let i = 0; i < 16; i++) res.write(chunk);
    res.end();
  },
  '/gzip': (_req, res) => {
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.setHeader('content-encoding', 'gzip');
    res.end(gzipSync(Buffer.from('decoded ✓ '.repeat(100), 'utf8')));
  },
  '/br': (_req, res) => {
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.setHeader('content-encoding', 'br');
    res.end(brotliCompressSync(Buffer.from('brotli ✓ '.repeat(100), 'utf8')));
  },
  '/deflate': (_req, res) => {
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.setHeader('content-encoding', 'deflate');
    res.end(deflateSync(Buffer.from('deflate ✓ '.repeat(100), 'utf8')));
  },
  // Declared compressed but empty, as some servers answer errors.
  '/gzip-empty': (_req, res) => {
    res.setHeader('content-encoding', 'gzip');
    res.end();
  },
  '/no-content': (_req, res) => {
    res.statusCode = 204;
    res.end();
  },
  // A gzip bomb in miniature: 40 KiB on the wire, 4 MiB decoded.
  '/gzip-large': (_req, res) => {
    res.setHeader('content-encoding', 'gzip');
    res.end(gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x62)));
  },
  // 10 MiB, no Content-Length, written only as fast as the client reads (so the server itself stays small) and
  // abandoned when the client hangs up.
  '/huge-chunked': (_req, res) => {
    res.setHeader('content-type', 'application/octet-stream');
    const chunk = Buffer.alloc(64 * 1024, 0x63);
    let left = 160;
    let closed = false;
    res.on('close', () => {
      closed = true;
    });
    const pump = (): void => {
      while (!closed && left > 0) {
        left--;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!closed) res.end();
    };
    pump();
  },
  '/redirect-post': (_req, res) => {
    res.statusCode = 303;
    res.setHeader('location', '/echo?from=303');
    res.end();
  },
  '/redirect': (_req, res) => {
    res.statusCode = 302;
    res.setHeader('location', '/echo?from=redirect');
    res.end();
  },
  '/loop': (_req, res) => {
    res.statusCode = 301;
    res.setHeader('location', '/loop');
    res.end();
  },
  '/latin1': (_req, res) => {
    res.setHeader('content-type', 'text/html; charset=iso-8859-1');
    res.end(
      Buffer.from(
        '<html><body><p class="n">Crème brûlée</p><a href="/next?p=2">next</a></body></html>',
        'latin1',
      ),
    );
  },
  '/cookies': (_req, res) => {
    res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
    res.setHeader('x-multi', ['one', 'two']);
    res.end('ok');
  },
};

export async function startTestServer(): Promise<TestServer> {
  const seen: SeenRequest[] = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        receivedAt: Date.now(),
      });
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const handler = routes[path];
      if (handler) handler(req, res, body);
      else {
        res.statusCode = 404;
        res.end('not found');
      }
    });
  });
  server.on('connection', () => {
    connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    seen,
    connections: () => connections,
    reset: () => {
      seen.length = 0;
      connections = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A forward HTTP proxy stand-in: answers every request itself and records the absolute URL it was asked for. */
export async function startProxyStandIn(): Promise<{
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.alloc(0),
      receivedAt: 0,
    });
    res.end('via proxy');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://proxyuser:proxypass@127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 with nothing listening. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

import { createServer, type Server } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AxiosDownloader } from '../../src/downloader/axios.downloader.js';
import { DownloadError } from '../../src/downloader/download.error.js';
import { Request } from '../../src/request/request.js';
import type { RequestData } from '../../src/request/request-data.js';
import {
  fixturePath,
  RecordingDownloader,
  ReplayDownloader,
  responseFromFixture,
  RESPONSE_FIXTURE_FORMAT,
} from '../../src/testing/index.js';

const opts = { timeoutMs: 5000, maxResponseSize: 0 };

describe('RecordingDownloader and ReplayDownloader', () => {
  let dir: string;
  let server: Server;
  let base: string;
  let hits: number;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mocra-fixtures-'));
    hits = 0;
    server = createServer((req, res) => {
      hits++;
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const bytes = Buffer.from([0xff, 0x00, 0x01]);
        if (req.url === '/bin')
          return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(bytes);
        res
          .writeHead(req.url === '/gone' ? 410 : 200, {
            'content-type': 'text/html',
            'x-echo': req.method ?? '',
          })
          .end(`<h1>${req.method} ${req.url} ${body}</h1>`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterEach(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const inRun = (req: Request, runId: string): RequestData => ({ ...req.toData(), runId });

  it('records every response by fingerprint and replays it with the server stopped', async () => {
    const recorder = new RecordingDownloader({
      dir: join(dir, 'rec'),
      inner: new AxiosDownloader({ poolSize: 2 }),
    });
    const requests = [
      Request.get(`${base}/a?x=1&y=2`),
      Request.get(`${base}/gone`),
      Request.post(`${base}/form`).withJson({ q: 'shoes' }),
      Request.get(`${base}/bin`),
    ];
    const recorded = [];
    for (const r of requests) recorded.push(await recorder.download(inRun(r, 'run-1'), opts));
    await recorder.close();
    expect(readdirSync(join(dir, 'rec')).sort()).toEqual(
      requests.map((r) => fixturePath('', r.toData())).sort(),
    );
    const stored = JSON.parse(readFileSync(fixturePath(join(dir, 'rec'), requests[2]!.toData()), 'utf8'));
    expect(stored).toMatchObject({
      format: RESPONSE_FIXTURE_FORMAT,
      status: 200,
      request: { method: 'POST' },
    });
    expect(Buffer.from(stored.bodyBase64, 'base64').toString()).toBe('<h1>POST /form {"q":"shoes"}</h1>');

    await new Promise((r) => server.close(r));
    const hitsBefore = hits;
    const replay = new ReplayDownloader({ dir: join(dir, 'rec') });
    // Same requests in another run, with params reordered: the fixture key ignores the run id and param order.
    const again = [
      Request.get(`${base}/a?y=2&x=1`),
      Request.get(`${base}/gone`),
      Request.post(`${base}/form`).withJson({ q: 'shoes' }),
      Request.get(`${base}/bin`),
    ];
    for (const [i, r] of again.entries()) {
      const data = inRun(r, 'run-2');
      const res = await replay.download(data, opts);
      expect(res.id).toBe(data.id);
      expect(res.request.runId).toBe('run-2');
      expect({ status: res.status, headers: res.headers, body: Buffer.from(res.body) }).toEqual({
        status: recorded[i]!.status,
        headers: recorded[i]!.headers,
        body: Buffer.from(recorded[i]!.body),
      });
    }
    expect(hits).toBe(hitsBefore);
  });

  it('fails a request with no fixture with a DownloadError naming the URL and the file', async () => {
    const replay = new ReplayDownloader({ dir });
    const req = Request.post(`${base}/other`).withJson({ q: 'hats' }).toData();
    const err = await replay.download(req, opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as DownloadError).retryable).toBe(false);
    expect((err as Error).message).toContain(`POST ${base}/other`);
    expect((err as Error).message).toContain(fixturePath(dir, req));
    expect(hits).toBe(0);
  });

  it('names the fixture file when it is malformed, and enforces max_response_size', async () => {
    const req = Request.get(`${base}/a`).toData();
    writeFileSync(fixturePath(dir, req), '{"format":"something-else"}');
    const replay = new ReplayDownloader({ dir });
    await expect(replay.download(req, opts)).rejects.toThrow(
      `response fixture ${fixturePath(dir, req)}: "format"`,
    );

    const recorder = new RecordingDownloader({ dir, inner: new AxiosDownloader({ poolSize: 1 }) });
    await recorder.download(req, opts);
    await recorder.close();
    await expect(replay.download(req, { ...opts, maxResponseSize: 4 })).rejects.toMatchObject({
      kind: 'too_large',
    });
  });

  it('responseFromFixture turns a recorded file into a Response', async () => {
    const recorder = new RecordingDownloader({ dir, inner: new AxiosDownloader({ poolSize: 1 }) });
    const req = Request.get(`${base}/page`).addMeta('depth', 2);
    await recorder.download(req.toData(), opts);
    await recorder.close();
    const res = responseFromFixture(fixturePath(dir, req.toData()));
    expect(res.$('h1').text()).toBe('GET /page ');
    expect(res.url).toBe(`${base}/page`);
    expect(res.meta).toEqual({ depth: 2 });
    expect(() => responseFromFixture(join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read it/);
  });
});

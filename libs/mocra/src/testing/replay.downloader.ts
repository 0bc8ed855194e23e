import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Injectable, type Type } from '@nestjs/common';
import { DownloadError } from '../downloader/download.error.js';
import type { DownloadOptions, Downloader } from '../downloader/downloader.interface.js';
import type { RequestData, ResponseData } from '../request/request-data.js';
import { fixturePath, parseResponseFixture } from './response-fixture.js';

export interface ReplayDownloaderOptions {
  /** Fixture folder written by RecordingDownloader. A relative path resolves against the working directory. */
  dir: string;
}

/**
 * Serves every request from a fixture folder written by `RecordingDownloader`, by the request's fingerprint
 * (without run id); it never opens a connection. A request with no fixture fails with a DownloadError that names
 * the URL and the file it looked for; it is not retried, so it lands in the dead-letter queue.
 */
export class ReplayDownloader implements Downloader {
  readonly name = 'replay';
  readonly dir: string;

  constructor(options: ReplayDownloaderOptions) {
    this.dir = resolve(options.dir);
  }

  /** A Nest provider class for `MocraModule.forRoot({ config, downloader: ReplayDownloader.from('fixtures') })`. */
  static from(dir: string): Type<Downloader> {
    @Injectable()
    class NestReplayDownloader extends ReplayDownloader {
      constructor() {
        super({ dir });
      }
    }
    return NestReplayDownloader;
  }

  async download(req: RequestData, opts: DownloadOptions): Promise<ResponseData> {
    if (opts.signal?.aborted) {
      throw new DownloadError('aborted', req.url, `${req.method} ${req.url}: aborted by the caller`);
    }
    const path = fixturePath(this.dir, req);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      const detail = missing ? 'no recorded response' : `cannot read the fixture (${String(err)})`;
      throw new DownloadError(
        'invalid_request',
        req.url,
        `${req.method} ${req.url}: ${detail} in replay mode; expected fixture file ${path}`,
        { cause: err },
      );
    }
    let stored: ResponseData;
    try {
      stored = parseResponseFixture(text, path).response;
    } catch (err) {
      throw new DownloadError(
        'invalid_request',
        req.url,
        `${req.method} ${req.url}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    const max = opts.maxResponseSize;
    if (max > 0 && Number.isFinite(max) && stored.body.byteLength > max) {
      throw new DownloadError(
        'too_large',
        req.url,
        `${req.method} ${req.url}: body exceeds max_response_size of ${max} bytes (fixture ${path})`,
      );
    }
    // The stored request is yesterday's; the response must answer today's (its id, run id and meta).
    return { ...stored, id: req.id, request: req, elapsedMs: 0 };
  }

  async close(): Promise<void> {}
}

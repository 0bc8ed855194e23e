import { mkdir, rename, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Inject, Injectable, type Type } from '@nestjs/common';
import type { MocraConfig } from '../config/mocra-config.js';
import { AxiosDownloader } from '../downloader/axios.downloader.js';
import type { DownloadOptions, Downloader } from '../downloader/downloader.interface.js';
import { MOCRA_CONFIG } from '../mocra.tokens.js';
import type { RequestData, ResponseData } from '../request/request-data.js';
import { fixturePath, serialiseResponseFixture } from './response-fixture.js';

export interface RecordingDownloaderOptions {
  /** Fixture folder; created when missing. A relative path resolves against the working directory. */
  dir: string;
  /** The downloader that really fetches. */
  inner: Downloader;
}

/** How the Nest-provided recording downloader builds its inner downloader; default: the built-in axios one. */
export type InnerDownloaderFactory = (config: MocraConfig) => Downloader;

let tempSeq = 0;

/**
 * Fetches through another downloader and writes every response to `<dir>/<fingerprint>.json` (status, final URL,
 * headers, base64 body and the request), keyed by the request's fingerprint without its run id. A later response
 * to the same request (a retry) replaces the earlier file, so a folder holds what the crawl finally saw.
 */
export class RecordingDownloader implements Downloader {
  readonly name: string;
  readonly dir: string;
  private readonly inner: Downloader;
  private ready: Promise<unknown> | undefined;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(options: RecordingDownloaderOptions) {
    this.dir = resolve(options.dir);
    this.inner = options.inner;
    this.name = `recording(${options.inner.name})`;
  }

  /**
   * A Nest provider class for `MocraModule.forRoot({ config, downloader: RecordingDownloader.into('fixtures') })`.
   */
  static into(dir: string, inner?: InnerDownloaderFactory): Type<Downloader> {
    @Injectable()
    class NestRecordingDownloader extends RecordingDownloader {
      constructor(@Inject(MOCRA_CONFIG) config: MocraConfig) {
        super({
          dir,
          inner: inner ? inner(config) : new AxiosDownloader({ poolSize: config.download_config.pool_size }),
        });
      }
    }
    return NestRecordingDownloader;
  }

  async download(req: RequestData, opts: DownloadOptions): Promise<ResponseData> {
    const res = await this.inner.download(req, opts);
    const write = this.write(res);
    this.pending.add(write);
    try {
      await write;
    } finally {
      this.pending.delete(write);
    }
    return res;
  }

  /** Files written so far are complete: each is written under a temporary name, then renamed. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    await this.inner.close();
  }

  private async write(res: ResponseData): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true });
    await this.ready;
    const target = fixturePath(this.dir, res.request);
    const temp = `${target}.${process.pid}.${++tempSeq}.tmp`;
    try {
      await writeFile(temp, serialiseResponseFixture(res));
      await rename(temp, target);
    } catch (err) {
      // The crawl itself succeeded; a recording that silently missed pages would mislead a later replay.
      throw new Error(
        `RecordingDownloader: cannot write fixture ${target} for ${res.request.url}: ${String(err)}`,
        {
          cause: err,
        },
      );
    }
  }
}

import type { RequestData, ResponseData } from '../request/request-data.js';

export interface DownloadOptions {
  /**
   * Whole-download deadline in ms: connect, headers and body, not the request's sleep. <= 0 means none.
   * A request's own timeoutMs wins.
   */
  timeoutMs: number;
  /** Largest accepted body in bytes after decompression; <= 0 or non-finite means no limit. */
  maxResponseSize: number;
  /** Aborts the download (e.g. on shutdown); the promise then rejects with a DownloadError of kind 'aborted'. */
  signal?: AbortSignal;
  /**
   * Called once, synchronously, as the request is written to its connection (after any connect), by a downloader
   * whose `reportsSent` is true. The rate limiter spaces sends from this instant.
   */
  onSent?: () => void;
}

/**
 * Fetches one request. Implementations return every HTTP status as a response (the engine decides what a 5xx
 * means) and reject only with DownloadError.
 */
export interface Downloader {
  readonly name: string;
  /**
   * True when `download` calls `opts.onSent` as the request goes out. Otherwise the coordinator takes the call of
   * `download` as the send instant, which a new connection or a stalled process can precede by milliseconds.
   */
  readonly reportsSent?: boolean;
  download(req: RequestData, opts: DownloadOptions): Promise<ResponseData>;
  close(): Promise<void>;
}

import zlib from 'node:zlib';
import type { Dispatcher } from 'undici';
import type { HttpMethod, RequestData } from '../request/request-data.js';
import { nextRedirect, type RedirectHop } from './redirect-hop.js';
import { failure, flattenHeaders, hasLimit, messageOf, tooLarge } from './request-encoding.js';

/** One hop's answer: a response to return, or a redirect to follow (its body skipped). */
export interface UndiciExchangeResult {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  redirect: RedirectHop | undefined;
}

export interface UndiciExchangeOptions {
  req: RequestData;
  hop: number;
  maxRedirects: number;
  /** The URL this hop requests. */
  target: string;
  method: HttpMethod;
  /** The request headers, edited in place for the next hop by a redirect (see nextRedirect). */
  headers: Record<string, string>;
  maxResponseSize: number;
  /** Called (as a microtask) once the request is being written, after any connect. */
  onSent: (() => void) | undefined;
}

type Decoder = zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress;

const EMPTY = Buffer.alloc(0);

/**
 * One HTTP exchange through undici's `dispatch()`: the body is collected straight from the connection's chunks,
 * decoded (gzip, deflate, br) and size-capped on the way, the redirect decision taken from the status and headers.
 *
 * Why not `request()`: it wraps every response in a Readable stream, and reading one takes listeners on an
 * EventEmitter per response. Node's EventEmitter keeps a second listener in an array literal; in a cold process
 * V8 may switch that literal's site to old-generation allocation (measured in one 10k-page crawl of four), and from
 * then on each response's listener array, old, kept the response's whole state alive past young-generation GCs.
 * A handler object has no emitter: the only per-response objects are this one and its chunks.
 */
export class UndiciExchange implements Dispatcher.DispatchHandler {
  readonly result: Promise<UndiciExchangeResult>;
  private resolveResult!: (result: UndiciExchangeResult) => void;
  private rejectResult!: (err: unknown) => void;
  private settled = false;
  private controller: Dispatcher.DispatchController | undefined = undefined;
  private failure: Error | undefined = undefined;
  private ended = false;
  private status = 0;
  private headers: Record<string, string> = {};
  private redirect: RedirectHop | undefined = undefined;
  private skipBody = false;
  private encoding = '';
  private decoder: Decoder | undefined = undefined;
  private rawBytes = 0;
  private size = 0;
  private chunks: Buffer[] = [];

  constructor(private readonly options: UndiciExchangeOptions) {
    this.result = new Promise<UndiciExchangeResult>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
  }

  /** Gives up on the exchange with `reason` (a deadline or the caller's abort); undici drops the connection. */
  abort(reason: unknown): void {
    const err = reason instanceof Error ? reason : new Error(String(reason));
    this.fail(err);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Aborted while waiting for a connection: undici only learns of it now.
    if (this.failure !== undefined) {
      controller.abort(this.failure);
      return;
    }
    const onSent = this.options.onSent;
    // The write follows synchronously in the same call stack: a microtask runs after it, so a process descheduled
    // in between can only make the reported instant later (a longer gap), never earlier.
    if (onSent !== undefined) queueMicrotask(onSent);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (this.settled) return;
    const o = this.options;
    this.status = statusCode;
    try {
      this.redirect = nextRedirect(
        o.req,
        o.hop,
        o.maxRedirects,
        statusCode,
        headers['location'],
        o.target,
        o.method,
        o.headers,
      );
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    this.headers = flattenHeaders(headers);
    if (this.redirect !== undefined || o.method === 'HEAD' || statusCode === 204 || statusCode === 304) {
      // A redirect's body is read and dropped, so its connection stays reusable.
      this.skipBody = true;
      return;
    }
    const max = o.maxResponseSize;
    this.encoding = (this.headers['content-encoding'] ?? '').trim().toLowerCase();
    const declared = Number(this.headers['content-length']);
    if (hasLimit(max) && this.encoding === '' && Number.isFinite(declared) && declared > max) {
      this.fail(tooLarge(o.req, max));
      return;
    }
    this.decoder = this.openDecoder();
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled || this.skipBody) return;
    if (this.decoder === undefined) {
      this.take(chunk);
      return;
    }
    this.rawBytes += chunk.byteLength;
    this.decoder.write(chunk);
  }

  onResponseEnd(): void {
    this.ended = true;
    if (this.settled) return;
    if (this.decoder !== undefined) this.decoder.end();
    else this.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.ended = true;
    this.fail(error);
  }

  private openDecoder(): Decoder | undefined {
    const decoder = decoderFor(this.encoding);
    if (decoder === undefined) return undefined;
    // One listener per event and no once(): no listener arrays (see the class comment).
    decoder.on('data', (chunk: Buffer) => {
      if (!this.settled) this.take(chunk);
    });
    decoder.on('end', () => this.finish());
    decoder.on('error', (err: Error) => {
      if (this.settled) return;
      // An empty body declared as compressed (some servers do that on errors) is just empty.
      if (this.rawBytes === 0 && this.ended) {
        this.encoding = '';
        this.decoder = undefined;
        this.finish();
        return;
      }
      this.fail(
        failure('network', this.options.req, `cannot decode ${this.encoding} body: ${messageOf(err)}`, err),
      );
    });
    return decoder;
  }

  private take(chunk: Buffer): void {
    this.size += chunk.byteLength;
    const max = this.options.maxResponseSize;
    if (hasLimit(max) && this.size > max) {
      this.fail(tooLarge(this.options.req, max));
      return;
    }
    this.chunks.push(chunk);
  }

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    const chunks = this.chunks;
    const body =
      chunks.length === 0 ? EMPTY : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.size);
    // Emptied rather than dropped, for the reason detachDocument gives: an array that V8 allocated old would
    // otherwise keep the chunks alive until a full GC.
    chunks.length = 0;
    if (this.decoder !== undefined) {
      delete this.headers['content-encoding'];
      delete this.headers['content-length'];
    }
    this.resolveResult({ status: this.status, headers: this.headers, body, redirect: this.redirect });
  }

  private fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.failure = err;
    this.chunks.length = 0;
    this.decoder?.destroy();
    // Before the connection is assigned there is nothing to abort yet: onRequestStart does it.
    if (!this.ended) this.controller?.abort(err);
    this.rejectResult(err);
  }
}

function decoderFor(encoding: string): Decoder | undefined {
  // Flush modes let a truncated-but-valid stream end without "unexpected end of file".
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip({
        flush: zlib.constants.Z_SYNC_FLUSH,
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
      });
    case 'deflate':
      return zlib.createInflate({
        flush: zlib.constants.Z_SYNC_FLUSH,
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
      });
    case 'br':
      return zlib.createBrotliDecompress({
        flush: zlib.constants.BROTLI_OPERATION_FLUSH,
        finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
      });
    default:
      return undefined;
  }
}

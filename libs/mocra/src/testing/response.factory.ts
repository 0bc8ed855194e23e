import type { RequestData } from '../request/request-data.js';
import { Request } from '../request/request.js';
import { Response } from '../request/response.js';
import { readResponseFixture } from './response-fixture.js';

export interface ResponseOptions {
  /** The final URL of the response; links resolve against it. */
  url: string;
  /** Default 200. */
  status?: number;
  /** Merged over the default Content-Type; names are lower-cased like the downloader does. */
  headers?: Readonly<Record<string, string>>;
  /** The request this response answers. Default: a GET of `url`. */
  request?: Request | RequestData;
}

function build(body: Uint8Array, contentType: string, opts: ResponseOptions): Response {
  if (typeof opts?.url !== 'string') {
    throw new TypeError('testing: a response needs { url } (the page address links resolve against)');
  }
  const headers: Record<string, string> = { 'content-type': contentType };
  for (const [name, value] of Object.entries(opts.headers ?? {})) headers[name.toLowerCase()] = value;
  const request =
    opts.request === undefined
      ? Request.get(opts.url).toData()
      : opts.request instanceof Request
        ? opts.request.toData()
        : opts.request;
  return new Response({
    id: request.id,
    status: opts.status ?? 200,
    url: opts.url,
    headers,
    body,
    request,
    elapsedMs: 0,
  });
}

/** A response carrying `html` as a UTF-8 text/html body. */
export function responseFromHtml(html: string, opts: ResponseOptions): Response {
  return build(Buffer.from(html, 'utf8'), 'text/html; charset=utf-8', opts);
}

/** A response carrying `value` serialised as an application/json body. */
export function responseFromJson(value: unknown, opts: ResponseOptions): Response {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`testing: responseFromJson(${String(value)}) is not JSON`);
  return build(Buffer.from(text, 'utf8'), 'application/json; charset=utf-8', opts);
}

/** The response stored in a fixture file written by `RecordingDownloader` (`<dir>/<fingerprint>.json`). */
export function responseFromFixture(path: string): Response {
  const fixture = readResponseFixture(path);
  return new Response(fixture.response);
}

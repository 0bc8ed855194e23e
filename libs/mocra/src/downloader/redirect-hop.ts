import type { HttpMethod, RequestData } from '../request/request-data.js';
import { failure } from './request-encoding.js';

/** Statuses whose Location header a downloader follows. */
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

export interface RedirectHop {
  url: string;
  method: HttpMethod;
  /** The request body is not sent again (the hop became a GET). */
  dropBody: boolean;
}

/**
 * Where a redirect sends the request next, as browsers do: 303 always, and 301/302 after a POST, continue as a GET
 * without a body; credentials (authorization, cookie) do not follow the request to another origin. Both built-in
 * downloaders follow redirects through this, so they agree on the final URL and on what each hop sends.
 * Edits `headers` in place for the next hop.
 */
function redirectHop(
  req: RequestData,
  status: number,
  location: string,
  from: string,
  method: HttpMethod,
  headers: Record<string, string>,
): RedirectHop {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch (err) {
    throw failure('network', req, `redirect to an invalid location ${JSON.stringify(location)}`, err);
  }
  let dropBody = false;
  if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
    if (method !== 'HEAD') method = 'GET';
    dropBody = true;
    delete headers['content-type'];
  }
  if (next.origin !== new URL(from).origin) {
    delete headers['authorization'];
    delete headers['cookie'];
  }
  return { url: next.href, method, dropBody };
}

/**
 * The hop to take when a response is a redirect to follow, or undefined when it is not one (not a redirect status,
 * no Location, or redirects disabled with maxRedirects 0). Throws past maxRedirects or on an invalid Location.
 */
export function nextRedirect(
  req: RequestData,
  hop: number,
  maxRedirects: number,
  status: number,
  location: unknown,
  from: string,
  method: HttpMethod,
  headers: Record<string, string>,
): RedirectHop | undefined {
  if (maxRedirects <= 0 || !REDIRECT_STATUSES.has(status) || typeof location !== 'string') return undefined;
  if (hop >= maxRedirects) throw failure('network', req, `too many redirects (more than ${maxRedirects})`);
  return redirectHop(req, status, location, from, method, headers);
}

/**
 * Plain, serialisable shapes of a request and a response. They travel in queue envelopes (JSON or msgpack), so
 * they hold only data: no methods, no class instances. `Request` and `Response` classes wrap them.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

export type Priority = 'high' | 'normal' | 'low';

export interface RequestData {
  /** Unique id of this request (the response keeps it). */
  id: string;
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
  /** Query parameters appended to the URL (in insertion order). */
  params: Array<[string, string]>;
  cookies: Record<string, string>;
  /** Exactly one of json / body / form is set for a request with a body. */
  json?: unknown;
  body?: Uint8Array;
  form?: Array<[string, string]>;
  meta: Record<string, unknown>;
  /** Delay before sending, in ms. */
  sleepMs?: number;
  priority?: Priority;
  timeoutMs?: number;
  proxy?: string;
  enableSession?: boolean;
  enableResponseCache?: boolean;
  /** Stamped by the runtime when the request is dispatched. */
  module?: string;
  account?: string;
  platform?: string;
  runId?: string;
  nodeKey?: string;
  /** Number of download attempts already made (0 for the first). */
  retryCount?: number;
}

export interface ResponseData {
  /** Same id as the request. */
  id: string;
  status: number;
  /** Final URL after redirects. */
  url: string;
  /** Lower-cased header names. Repeated headers are joined with ", " (set-cookie with "\n"). */
  headers: Record<string, string>;
  body: Uint8Array;
  request: RequestData;
  /** Wall time of the download in ms. */
  elapsedMs: number;
  /** True when served from the response cache without a network call. */
  fromCache?: boolean;
}

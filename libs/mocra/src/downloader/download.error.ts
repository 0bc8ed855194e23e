/**
 * - timeout: the deadline passed before the body was complete;
 * - network: connection refused/reset, DNS, TLS, broken body or too many redirects;
 * - too_large: the body exceeded max_response_size;
 * - invalid_request: the request cannot be sent as given (URL, header, body, proxy);
 * - aborted: the caller's AbortSignal fired (e.g. shutdown), not the request's fault;
 * - robots_disallowed: the site's robots.txt forbids the URL (the module enabled robots.txt);
 * - proxy_unavailable: the module's proxy pool has no usable proxy right now.
 */
export type DownloadErrorKind =
  | 'timeout'
  | 'network'
  | 'too_large'
  | 'invalid_request'
  | 'aborted'
  | 'robots_disallowed'
  | 'proxy_unavailable';

const RETRYABLE: Readonly<Record<DownloadErrorKind, boolean>> = {
  timeout: true,
  network: true,
  too_large: false,
  invalid_request: false,
  aborted: true,
  robots_disallowed: false,
  proxy_unavailable: true,
};

/** Why a download produced no response. `retryable` says whether sending it again can succeed. */
export class DownloadError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly kind: DownloadErrorKind,
    /** The requested URL. */
    readonly url: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DownloadError';
    this.retryable = RETRYABLE[kind];
  }
}

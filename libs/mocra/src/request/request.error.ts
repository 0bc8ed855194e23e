/** A request that cannot be built or sent as given: bad URL, method, header, timing or body. */
export class RequestError extends Error {
  constructor(
    /** The URL of the offending request, as the caller gave it. */
    readonly url: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${message} (request ${url})`, options);
    this.name = 'RequestError';
  }
}

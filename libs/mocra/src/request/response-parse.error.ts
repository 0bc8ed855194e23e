/** A response body that does not parse as the caller asked (e.g. `json()` on a non-JSON body). */
export class ResponseParseError extends Error {
  constructor(
    /** Final URL of the response. */
    readonly url: string,
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${message} (response ${status} from ${url})`, options);
    this.name = 'ResponseParseError';
  }
}

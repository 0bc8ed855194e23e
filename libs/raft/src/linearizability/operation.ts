/**
 * One client operation in a recorded history. Times are any monotonic clock (or event ordinals); only their order
 * matters. An operation whose outcome is unknown (the client crashed or timed out) has `output` undefined and
 * `return` = `Number.POSITIVE_INFINITY`: it may have taken effect at any point after its call, or never.
 * At equal times calls order before returns, so an operation called at the instant another returns is concurrent
 * with it.
 */
export interface Operation<I, O> {
  clientId: number;
  input: I;
  call: number;
  output: O | undefined;
  return: number;
}

export type CheckResult = 'ok' | 'illegal' | 'unknown';

export interface CheckOptions {
  /** Give up (result 'unknown') after this many milliseconds of search. No limit when absent. */
  timeoutMs?: number;
}

export interface CheckReport {
  result: CheckResult;
  /** Human-readable detail: on 'illegal' the offending partition and the longest linearizable prefix found. */
  info?: string;
}

import type { ErrorKind, Route } from '../queue/envelope.js';

export type Backoff =
  | { type: 'none' }
  | { type: 'linear'; baseMs: number; maxMs: number }
  | { type: 'exponential'; baseMs: number; maxMs: number };

export type DlqMode = 'never' | 'on_exhausted' | 'always';

/** What to do with a failure: how often to try in all, how long to wait between tries, whether to dead-letter. */
export interface ResolvedPolicy {
  retryable: boolean;
  /** Total attempts including the first (1 = no retry). */
  maxAttempts: number;
  backoff: Backoff;
  dlq: DlqMode;
}

/** Delay before attempt `attempt + 1`, after `attempt` failures (attempt ≥ 1). */
export function backoffDelayMs(backoff: Backoff, attempt: number): number {
  switch (backoff.type) {
    case 'none':
      return 0;
    case 'linear':
      return Math.min(backoff.maxMs, backoff.baseMs * attempt);
    case 'exponential':
      return Math.min(backoff.maxMs, backoff.baseMs * 2 ** (attempt - 1));
  }
}

/** Inputs of a policy decision. */
export interface FailureDescriptor {
  kind: ErrorKind;
  stage: Route;
}

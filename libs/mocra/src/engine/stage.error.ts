import type { ErrorKind } from '../queue/envelope.js';

/** A failure of one pipeline stage, with its policy kind and whether a retry can help. */
export class StageError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'StageError';
  }
}

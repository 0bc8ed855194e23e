/**
 * Bytes from the log (a command), a snapshot or a result do not have the expected shape. `path` names the
 * offending field (`command.writes[2].key`), so a bad entry can be located.
 */
export class CoordinationDecodeError extends Error {
  override readonly name = 'CoordinationDecodeError';

  constructor(
    readonly path: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${problem}`, options);
  }
}

/**
 * The replicated state machine refused a command (a malformed command, or one that is invalid in the current
 * state, such as incr on a string). Every replica refused it alike and the state is unchanged.
 */
export class CoordinationCommandError extends Error {
  override readonly name = 'CoordinationCommandError';

  constructor(
    readonly op: string,
    readonly reason: string,
  ) {
    super(`coordination ${op} refused: ${reason}`);
  }
}

/** The rate limiter could not get a grant from the cluster in time (no leader for too long, for instance). */
export class RateGrantUnavailableError extends Error {
  override readonly name = 'RateGrantUnavailableError';

  constructor(
    readonly key: string,
    waitedMs: number,
    options?: { cause?: unknown },
  ) {
    const why = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(`rate limit ${JSON.stringify(key)}: no grant from the cluster after ${waitedMs} ms${why}`, options);
  }
}

/**
 * Thrown inside apply when a well-formed command is invalid in the current state (incr on a string, heartbeat of
 * an unknown node); apply turns it into an error result and leaves the state as it was.
 */
export class CommandRefusedError extends Error {
  override readonly name = 'CommandRefusedError';
}

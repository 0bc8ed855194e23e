/** An invariant broke (or the heal phase did not converge). The message carries the seed and how to replay it. */
export class SimViolationError extends Error {
  override readonly name = 'SimViolationError';
  /** The events up to the violation, when the run was traced. */
  trace: string[] = [];

  constructor(
    readonly seed: number,
    readonly step: number,
    readonly time: number,
    readonly invariant: string,
    readonly description: string,
  ) {
    super(`seed=${seed} step=${step} time=${time}: ${invariant} violated: ${description}`);
  }
}

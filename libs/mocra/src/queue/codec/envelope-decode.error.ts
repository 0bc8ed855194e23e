/**
 * Bytes from a queue could not be turned into a valid envelope. `path` names the offending field
 * (`routing.runId`), or `envelope` when the bytes themselves are malformed.
 */
export class EnvelopeDecodeError extends Error {
  override readonly name = 'EnvelopeDecodeError';

  constructor(
    readonly path: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${problem}`, options);
  }
}

/** An envelope could not be serialised (a bigint or a cycle in user data, for instance). */
export class EnvelopeEncodeError extends Error {
  override readonly name = 'EnvelopeEncodeError';

  constructor(codec: string, kind: string, options?: { cause?: unknown }) {
    const why = options?.cause instanceof Error ? options.cause.message : String(options?.cause);
    super(`${codec} codec cannot encode a '${kind}' envelope: ${why}`, options);
  }
}

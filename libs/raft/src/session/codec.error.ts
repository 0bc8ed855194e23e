/**
 * Raised when bytes read from the log, a snapshot or the wire do not match the expected layout. The message names
 * the structure, the field and the byte offset, so a corrupt entry can be located.
 */
export class CodecError extends Error {
  override readonly name = 'CodecError';

  constructor(
    readonly structure: string,
    readonly field: string,
    readonly offset: number,
    problem: string,
  ) {
    super(`${structure}.${field} at byte ${offset}: ${problem}`);
  }
}

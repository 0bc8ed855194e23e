/** Bytes from the wire that are not a valid frame of this protocol. `path` names the offending field. */
export class WireDecodeError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'WireDecodeError';
  }
}

/** A module's workflow is invalid; the message names the module and the node. */
export class DagCompileError extends Error {
  constructor(
    message: string,
    readonly module: string,
    readonly node?: string,
  ) {
    super(message);
    this.name = 'DagCompileError';
  }
}

/** Where a command writes; tests pass a collecting one, the bin passes the process streams. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Relative paths given on the command line resolve against this. */
  cwd: string;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  cwd: process.cwd(),
};

/** A usage mistake: the command prints the message and its help hint, and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

import { spawn, type ChildProcess } from 'node:child_process';

/** A real child process running compiled JavaScript, with its output kept for assertions and failure messages. */
export interface NodeProcess {
  readonly name: string;
  readonly proc: ChildProcess;
  /** Everything it printed (stdout and stderr), in order. */
  output(): string;
  readonly exited: Promise<number | null>;
  /** Resolves with the first line matching `pattern`; rejects if the process exits first or after `timeoutMs`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** The last line matching `pattern` so far. */
  lastLine(pattern: RegExp): string | undefined;
}

export function startNodeProcess(
  name: string,
  script: string,
  args: string[],
  env: Record<string, string> = {},
): NodeProcess {
  const proc = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  const listeners = new Set<() => void>();
  const onData = (c: Buffer): void => {
    chunks.push(c.toString());
    for (const l of listeners) l();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) =>
    proc.on('exit', (code) => {
      resolve(code);
      for (const l of listeners) l();
    }),
  );
  const output = (): string => chunks.join('');
  const lines = (pattern: RegExp): string[] =>
    output()
      .split('\n')
      .filter((l) => pattern.test(l));
  return {
    name,
    proc,
    output,
    exited,
    lastLine: (pattern) => lines(pattern).at(-1),
    waitForLine: (pattern, timeoutMs = 60_000) =>
      new Promise<string>((resolve, reject) => {
        const check = (): void => {
          const found = lines(pattern)[0];
          if (found !== undefined) return finish(() => resolve(found));
          if (proc.exitCode !== null || proc.signalCode !== null) {
            finish(() => reject(new Error(`${name} exited before printing ${pattern}:\n${output()}`)));
          }
        };
        const timer = setTimeout(
          () =>
            finish(() => reject(new Error(`${name}: no ${pattern} within ${timeoutMs} ms:\n${output()}`))),
          timeoutMs,
        );
        const finish = (settle: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      }),
  };
}

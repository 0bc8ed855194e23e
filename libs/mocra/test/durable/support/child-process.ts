import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REGISTER = fileURLToPath(new URL('./ts-register.mjs', import.meta.url));
const CHILD = fileURLToPath(new URL('./crash-publisher.child.ts', import.meta.url));

/** The crash-publisher child, with a way to wait for a line of its stdout. */
export class CrashChild {
  private readonly proc: ChildProcess;
  private buffered = '';
  private stderr = '';
  private waiter: { match: (line: string) => boolean; resolve: (line: string) => void } | undefined;
  private readonly exited: Promise<void>;

  constructor(args: string[]) {
    this.proc = spawn(process.execPath, ['--import', REGISTER, CHILD, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.onData(chunk));
    this.proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.proc.once('exit', () => resolve()));
  }

  /** Resolves with the first stdout line (from now on) that `match` accepts. */
  waitFor(match: (line: string) => boolean, what: string, timeoutMs = 30_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`child: no ${what} within ${timeoutMs} ms; stderr: ${this.stderr}`));
      }, timeoutMs);
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`child exited before ${what}; stderr: ${this.stderr}`));
      });
      this.waiter = {
        match,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
    });
  }

  /** kill -9, and wait until the process is gone (its database lock released). */
  async kill(): Promise<void> {
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      if (this.waiter?.match(line) === true) {
        const { resolve } = this.waiter;
        this.waiter = undefined;
        resolve(line);
      }
    }
  }
}

import type { Operation } from '../operation.js';

/**
 * Pairs invocations with completions per process while a log is read. Times are event ordinals (the position of
 * the line among matched events), so every event has a distinct time.
 */
export class OpenOperations<I, O> {
  private readonly ops: Operation<I, O>[] = [];
  private readonly open = new Map<number, { op: Operation<I, O>; line: number; label: string }>();

  constructor(private readonly source: string) {}

  invoke(process: number, input: I, time: number, line: number, label: string): void {
    const prev = this.open.get(process);
    if (prev !== undefined) {
      throw new Error(
        `${this.source} line ${line}: process ${process} invokes ${label} while its ${prev.label} ` +
          `from line ${prev.line} has not completed`,
      );
    }
    const op: Operation<I, O> = { clientId: process, input, call: time, output: undefined, return: Infinity };
    this.ops.push(op);
    this.open.set(process, { op, line, label });
  }

  /** Completes the open operation of `process`; output undefined marks an unknown outcome (never returns). */
  complete(process: number, label: string, line: number, output: O | undefined, time: number): I {
    const cur = this.open.get(process);
    if (cur === undefined || cur.label !== label) {
      throw new Error(
        `${this.source} line ${line}: process ${process} completes ${label} but ` +
          (cur === undefined
            ? 'has no open operation'
            : `its open operation is ${cur.label} from line ${cur.line}`),
      );
    }
    this.open.delete(process);
    if (output !== undefined) {
      cur.op.output = output;
      cur.op.return = time;
    }
    return cur.op.input;
  }

  /** Operations still open at the end of the log keep an unknown outcome. */
  finish(): Operation<I, O>[] {
    return this.ops;
  }
}

import type { Operation } from '../operation.js';
import type { RegisterInput, RegisterOutput } from '../register.model.js';
import { OpenOperations } from './open-operations.js';

// The event is recognised anywhere on the line, so the logger prefix and tab/space alignment do not matter.
const EVENT = /(?:^|\s)(\d+)\s+:(invoke|ok|fail|info)\s+:(read|write|cas)\b\s*(.*?)\s*$/;
const INT = /^-?\d+$/;
const CAS_ARGS = /^\[\s*(-?\d+)[\s,]+(-?\d+)\s*\]$/;

function parseInt10(text: string, what: string, line: number): number {
  if (!INT.test(text)) throw new Error(`jepsen etcd log line ${line}: ${what} "${text}" is not an integer`);
  return Number(text);
}

function parseInvoke(f: string, arg: string, line: number): RegisterInput {
  if (f === 'read') return { op: 'read' };
  if (f === 'write') return { op: 'write', value: parseInt10(arg, 'written value', line) };
  const m = CAS_ARGS.exec(arg);
  if (!m) throw new Error(`jepsen etcd log line ${line}: cas argument "${arg}" is not of the form [A B]`);
  return { op: 'cas', expected: Number(m[1]), value: Number(m[2]) };
}

function parseOk(f: string, arg: string, line: number): RegisterOutput {
  if (f === 'read') return { value: arg === 'nil' ? null : parseInt10(arg, 'read value', line) };
  return { ok: true };
}

/**
 * Reads a Jepsen etcd register log (see linearizability-histories/README.md) into operations on
 * `registerModel`. `:ok` completes an operation; `:fail` of a cas is a completed cas that did not apply; every
 * other ending (`:info`, `:fail` of a read or write, or no ending at all) leaves the outcome unknown. Lines that
 * are not operation events are ignored.
 */
export function parseJepsenEtcdLog(text: string): Operation<RegisterInput, RegisterOutput>[] {
  const open = new OpenOperations<RegisterInput, RegisterOutput>('jepsen etcd log');
  let time = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    const m = EVENT.exec(raw);
    if (!m) return;
    const line = i + 1;
    const process = Number(m[1]);
    const type = m[2] as string;
    const f = m[3] as string;
    const arg = m[4] ?? '';
    time++;
    if (type === 'invoke') {
      open.invoke(process, parseInvoke(f, arg, line), time, line, `:${f}`);
    } else if (type === 'ok') {
      open.complete(process, `:${f}`, line, parseOk(f, arg, line), time);
    } else if (type === 'fail' && f === 'cas') {
      open.complete(process, ':cas', line, { ok: false }, time);
    } else {
      open.complete(process, `:${f}`, line, undefined, time);
    }
  });
  return open.finish();
}

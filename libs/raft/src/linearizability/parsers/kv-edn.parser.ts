import type { KvInput, KvOutput } from '../kv.model.js';
import type { Operation } from '../operation.js';
import { EdnKeyword, readEdn, type EdnValue } from './edn.reader.js';
import { OpenOperations } from './open-operations.js';

function field(map: Map<string, EdnValue>, name: string, where: string): EdnValue {
  if (!map.has(name)) throw new Error(`${where}: missing :${name}`);
  return map.get(name) ?? null;
}

function keyword(v: EdnValue, name: string, where: string): string {
  if (!(v instanceof EdnKeyword)) throw new Error(`${where}: :${name} must be a keyword`);
  return v.name;
}

/** Keys and values may be written as strings or numbers; nil reads as "" (every key starts empty). */
function text(v: EdnValue, name: string, where: string): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw new Error(`${where}: :${name} must be a string, a number or nil`);
}

function parseInput(f: string, key: string, value: EdnValue, where: string): KvInput {
  switch (f) {
    case 'get':
      return { op: 'get', key };
    case 'put':
    case 'append':
      return { op: f, key, value: text(value, 'value', where) };
    case 'cas':
      if (!Array.isArray(value) || value.length !== 2) {
        throw new Error(`${where}: cas :value must be a vector [expected new]`);
      }
      return {
        op: 'cas',
        key,
        expected: text(value[0] ?? null, 'value', where),
        value: text(value[1] ?? null, 'value', where),
      };
    default:
      throw new Error(`${where}: unknown :f :${f}`);
  }
}

/**
 * Reads a key-value history with one EDN map per line (see linearizability-histories/README.md) into operations
 * on `kvModel`. `:ok` completes an operation; `:fail` of a cas is a completed cas that did not apply; other
 * endings (`:info`, `:fail`, none) leave the outcome unknown. Blank lines and `;` comments are skipped.
 */
export function parseKvEdn(source: string): Operation<KvInput, KvOutput>[] {
  const open = new OpenOperations<KvInput, KvOutput>('kv history');
  let time = 0;
  source.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith(';')) return;
    const line = i + 1;
    const where = `kv history line ${line}`;
    const map = readEdn(trimmed, where);
    if (!(map instanceof Map)) throw new Error(`${where}: expected an EDN map`);
    const process = field(map, 'process', where);
    if (typeof process !== 'number' || !Number.isInteger(process)) {
      throw new Error(`${where}: :process must be an integer`);
    }
    const type = keyword(field(map, 'type', where), 'type', where);
    const f = keyword(field(map, 'f', where), 'f', where);
    const value = map.get('value') ?? null;
    time++;
    switch (type) {
      case 'invoke':
        open.invoke(
          process,
          parseInput(f, text(field(map, 'key', where), 'key', where), value, where),
          time,
          line,
          `:${f}`,
        );
        return;
      case 'ok': {
        const output: KvOutput =
          f === 'get' ? { value: text(value, 'value', where) } : f === 'cas' ? { ok: true } : {};
        open.complete(process, `:${f}`, line, output, time);
        return;
      }
      case 'fail':
        open.complete(process, `:${f}`, line, f === 'cas' ? { ok: false } : undefined, time);
        return;
      case 'info':
        open.complete(process, `:${f}`, line, undefined, time);
        return;
      default:
        throw new Error(`${where}: unknown :type :${type}`);
    }
  });
  return open.finish();
}

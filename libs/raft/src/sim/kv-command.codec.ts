import type { KvInput, KvOutput } from '../linearizability/kv.model.js';
import { ByteReader } from '../session/byte-reader.js';
import { ByteWriter } from '../session/byte-writer.js';

const MAX_KEY_BYTES = 1024;
const MAX_VALUE_BYTES = 1024 * 1024;
const OPS = ['get', 'put', 'append', 'cas'] as const;
const TAGS = [1, 2, 3, 4] as const;

/** The KV state machine's command bytes: op tag, key, then value (put/append) or expected + value (cas). */
export function encodeKvInput(input: KvInput): Uint8Array {
  const writer = new ByteWriter().u8(OPS.indexOf(input.op) + 1);
  writer.string(input.key);
  if (input.op === 'cas') {
    writer.u32(0).string(input.expected).string(input.value);
  } else if (input.op !== 'get') {
    writer.u32(0).string(input.value ?? '');
  }
  return writer.finish();
}

export function decodeKvInput(data: Uint8Array): KvInput {
  const reader = new ByteReader(data, 'KvInput');
  const op = OPS[reader.tag('op', TAGS) - 1] as (typeof OPS)[number];
  const key = reader.string('key', MAX_KEY_BYTES);
  let input: KvInput;
  if (op === 'get') {
    input = { op, key };
  } else {
    // a u32 reserved for flags keeps the layout extensible without a version bump
    reader.u32('flags');
    if (op === 'cas') {
      const expected = reader.string('expected', MAX_VALUE_BYTES);
      input = { op, key, expected, value: reader.string('value', MAX_VALUE_BYTES) };
    } else {
      input = { op, key, value: reader.string('value', MAX_VALUE_BYTES) };
    }
  }
  reader.end();
  return input;
}

/** Result bytes: a presence bitmap (1 = value, 2 = ok, 4 = ok is true), then the value if present. */
export function encodeKvOutput(output: KvOutput): Uint8Array {
  const flags =
    (output.value !== undefined ? 1 : 0) | (output.ok !== undefined ? 2 : 0) | (output.ok ? 4 : 0);
  const writer = new ByteWriter().u8(flags);
  if (output.value !== undefined) writer.string(output.value);
  return writer.finish();
}

export function decodeKvOutput(data: Uint8Array): KvOutput {
  const reader = new ByteReader(data, 'KvOutput');
  const flags = reader.tag('flags', [0, 1, 2, 3, 6, 7]);
  const output: KvOutput = {};
  if (flags & 1) output.value = reader.string('value', MAX_VALUE_BYTES);
  if (flags & 2) output.ok = (flags & 4) !== 0;
  reader.end();
  return output;
}

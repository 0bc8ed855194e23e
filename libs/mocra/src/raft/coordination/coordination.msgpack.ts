import { Packr, type Options } from 'msgpackr';
import { CoordinationDecodeError } from './coordination.errors.js';
import { checkPackedShape } from './msgpack-shape.js';

/** `skipValues` exists in msgpackr 2 but is missing from its type declarations. */
type PackrOptions = Options & { skipValues?: unknown[] };

/**
 * One MessagePack configuration for commands, results, stored values and snapshots. Plain maps (no msgpackr
 * records, whose shared structures would make bytes depend on what was packed before), 64-bit integers as numbers,
 * copied buffers (a stored value must not pin the command or snapshot buffer it came in), undefined fields left
 * out. Packing is then a pure function of the value, which snapshot equality across replicas relies on.
 */
const packrOptions: PackrOptions = {
  useRecords: false,
  mapsAsObjects: true,
  copyBuffers: true,
  skipValues: [undefined],
  int64AsType: 'number',
};
const packr = new Packr(packrOptions);

export function packCoordination(value: unknown): Uint8Array {
  return packr.pack(value);
}

/**
 * Decodes one complete MessagePack value (trailing bytes are an error); `path` names what is decoded. The shape is
 * checked first (bounded nesting, known extensions), so decoding fails or succeeds alike on every replica.
 */
export function unpackCoordination(bytes: Uint8Array, path: string): unknown {
  if (!(bytes instanceof Uint8Array)) throw new CoordinationDecodeError(path, 'expected bytes');
  if (bytes.byteLength === 0) throw new CoordinationDecodeError(path, 'empty input');
  checkPackedShape(bytes, path);
  try {
    // A plain Uint8Array view: msgpackr's copies are then Uint8Array rather than Buffer, whatever the input was.
    return packr.unpack(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw new CoordinationDecodeError(path, `invalid MessagePack: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Byte equality, for compare-and-set on encoded values. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Checks that stored-value bytes are one complete MessagePack value, so a reader can always decode them. */
export function assertPacked(bytes: Uint8Array, path: string): Uint8Array {
  unpackCoordination(bytes, path);
  return bytes;
}

import { CoordinationDecodeError } from './coordination.errors.js';

/**
 * Deepest nesting of arrays and maps accepted anywhere (commands, stored values, snapshots). msgpackr decodes
 * nesting by recursion, so without this bound a deep enough value would overflow the stack on one replica and not
 * on another (the stack already in use differs between a proposer, a follower and a restore): their states would
 * diverge. The walk below is iterative and decides the same everywhere.
 */
export const MAX_PACKED_DEPTH = 100;

/** Extension types a value may use: msgpackr's undefined (0) and the MessagePack timestamp (-1, a Date). */
const ALLOWED_EXTENSIONS = new Set([0, -1]);

/**
 * Walks one MessagePack value without decoding it: checks every length against the bytes that remain, the nesting
 * against MAX_PACKED_DEPTH, extension types against the allowed ones, and that nothing trails the value.
 */
export function checkPackedShape(bytes: Uint8Array, path: string): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (problem: string): never => {
    throw new CoordinationDecodeError(path, problem);
  };
  let pos = 0;
  const need = (n: number): number => {
    if (pos + n > bytes.byteLength) fail(`truncated MessagePack at byte ${pos}`);
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = (): number => view.getUint8(need(1));
  const u16 = (): number => view.getUint16(need(2));
  const u32 = (): number => view.getUint32(need(4));
  const ext = (length: number): void => {
    const type = view.getInt8(need(1));
    if (!ALLOWED_EXTENSIONS.has(type)) fail(`MessagePack extension type ${type} is not allowed`);
    need(length);
  };

  /** Items still to read at each open level; the bottom level expects the one top value. */
  const pending: number[] = [1];
  while (pending.length > 0) {
    if (pending[pending.length - 1] === 0) {
      pending.pop();
      continue;
    }
    pending[pending.length - 1]!--;
    const b = u8();
    let items = 0;
    if (b === 0xc1) fail(`byte 0xc1 at ${pos - 1} is never used in MessagePack`);
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) continue;
    else if (b <= 0x8f) items = 2 * (b & 0x0f);
    else if (b <= 0x9f) items = b & 0x0f;
    else if (b <= 0xbf) need(b & 0x1f);
    else if (b === 0xc4 || b === 0xd9) need(u8());
    else if (b === 0xc5 || b === 0xda) need(u16());
    else if (b === 0xc6 || b === 0xdb) need(u32());
    else if (b === 0xc7) ext(u8());
    else if (b === 0xc8) ext(u16());
    else if (b === 0xc9) ext(u32());
    else if (b === 0xca || b === 0xce || b === 0xd2) need(4);
    else if (b === 0xcb || b === 0xcf || b === 0xd3) need(8);
    else if (b === 0xcc || b === 0xd0) need(1);
    else if (b === 0xcd || b === 0xd1) need(2);
    else if (b >= 0xd4 && b <= 0xd8) ext(1 << (b - 0xd4));
    else if (b === 0xdc) items = u16();
    else if (b === 0xdd) items = u32();
    else if (b === 0xde) items = 2 * u16();
    else items = 2 * u32(); // 0xdf, the last remaining code
    if (items === 0) continue;
    // every item takes at least one byte: a count beyond the input is a lie, refused before walking it
    if (items > bytes.byteLength - pos) fail(`MessagePack container of ${items} items exceeds the input`);
    if (pending.length > MAX_PACKED_DEPTH) fail(`MessagePack nested deeper than ${MAX_PACKED_DEPTH}`);
    pending.push(items);
  }
  if (pos !== bytes.byteLength) fail(`${bytes.byteLength - pos} bytes trail the MessagePack value`);
}

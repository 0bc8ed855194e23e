import { PRIORITIES, ROUTES, type Priority, type Route } from '../envelope.js';

/**
 * A queue record's key: route index (1 byte), priority index (1 byte, high = 0), sequence (8 bytes big-endian).
 * Byte order = (route, priority, sequence) order, so iterating the queue sublevel at open yields every route's
 * messages highest priority first and, within a priority, in publish order.
 */
export const MESSAGE_KEY_BYTES = 10;

const ROUTE_INDEX = new Map<Route, number>(ROUTES.map((route, i) => [route, i]));
const PRIORITY_INDEX = new Map<Priority, number>(PRIORITIES.map((priority, i) => [priority, i]));
const TWO_POW_32 = 2 ** 32;

export interface MessageKey {
  route: Route;
  priority: Priority;
  seq: number;
}

export function encodeSeq(seq: number, into: Buffer = Buffer.allocUnsafe(8), at = 0): Buffer {
  into.writeUInt32BE(Math.floor(seq / TWO_POW_32), at);
  into.writeUInt32BE(seq >>> 0, at + 4);
  return into;
}

export function decodeSeq(bytes: Buffer, at = 0): number {
  return bytes.readUInt32BE(at) * TWO_POW_32 + bytes.readUInt32BE(at + 4);
}

export function encodeMessageKey(route: Route, priority: Priority, seq: number): Buffer {
  const key = Buffer.allocUnsafe(MESSAGE_KEY_BYTES);
  key[0] = ROUTE_INDEX.get(route) ?? 0xff;
  key[1] = PRIORITY_INDEX.get(priority) ?? 0xff;
  return encodeSeq(seq, key, 2);
}

/** The key's parts, or a description of what is wrong with it. */
export function decodeMessageKey(key: Buffer): MessageKey | string {
  if (key.length !== MESSAGE_KEY_BYTES) return `key of ${key.length} bytes, expected ${MESSAGE_KEY_BYTES}`;
  const route = ROUTES[key[0] as number];
  if (route === undefined) return `unknown route index ${key[0]}`;
  const priority = PRIORITIES[key[1] as number];
  if (priority === undefined) return `unknown priority index ${key[1]}`;
  const seq = decodeSeq(key, 2);
  if (seq > Number.MAX_SAFE_INTEGER) return `sequence beyond 2^53`;
  return { route, priority, seq };
}

import { ByteReader } from '../session/byte-reader.js';
import { ByteWriter } from '../session/byte-writer.js';

/** A RaftNode snapshot: the members' addresses (so a node restored from it can reach them) and the user's state. */
export interface NodeSnapshot {
  addresses: Map<string, string>;
  state: Uint8Array;
}

const VERSION = 1;
const MAX_MEMBERS = 10_000;
const MAX_STATE_BYTES = 2 ** 31 - 1;

export function encodeNodeSnapshot(snapshot: NodeSnapshot): Uint8Array {
  const writer = new ByteWriter().u8(VERSION).u32(snapshot.addresses.size);
  for (const [id, address] of [...snapshot.addresses].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    writer.string(id).string(address);
  }
  return writer.bytes(snapshot.state).finish();
}

export function decodeNodeSnapshot(data: Uint8Array): NodeSnapshot {
  const reader = new ByteReader(data, 'NodeSnapshot');
  reader.tag('version', [VERSION]);
  const count = reader.u32('members');
  if (count > MAX_MEMBERS) throw new RangeError(`NodeSnapshot: ${count} members is more than ${MAX_MEMBERS}`);
  const addresses = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    addresses.set(reader.string(`members[${i}].id`, 256), reader.string(`members[${i}].address`, 512));
  }
  const state = reader.bytes('state', MAX_STATE_BYTES);
  reader.end();
  return { addresses, state };
}

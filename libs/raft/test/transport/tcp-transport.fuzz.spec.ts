import { pack } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/core/types.js';
import { Prng } from '../../src/sim/prng.js';
import { TcpTransport } from '../../src/transport/tcp-transport.js';
import { encodeHandshake, encodeMessageBatch, PROTOCOL_NAME } from '../../src/transport/wire-frame.codec.js';
import { encodeMessage } from '../../src/transport/wire-message.codec.js';
import { rawExchange, withLengthPrefix } from './support/raw-peer.js';
import { message, RecordingHandlers, RecordingLogger } from './support/recording-handlers.js';

const MARKER_BASE = 10_000_000;

let b: TcpTransport;
let hb: RecordingHandlers;
let address: string;
const log = new RecordingLogger();

beforeAll(async () => {
  b = new TcpTransport({
    nodeId: 'b',
    clusterId: 'c1',
    listen: { host: '127.0.0.1', port: 0 },
    maxFrameBytes: 1 << 20,
    logger: log,
  });
  hb = new RecordingHandlers();
  address = await b.start(hb);
});
afterAll(async () => {
  await b.close();
});

function valid(index: number): Message {
  return message({
    type: 'snap',
    from: 'f',
    to: 'b',
    term: 3,
    index,
    entries: [{ term: 3, index: 4, type: 'normal', data: new Uint8Array([1, 2, 3]) }],
    snapshot: {
      metadata: {
        index: 9,
        term: 2,
        confState: {
          voters: ['b', 'f'],
          learners: [],
          votersOutgoing: [],
          learnersNext: [],
          autoLeave: false,
        },
      },
      data: new Uint8Array(40).fill(7),
    },
    chunk: { index: 0, total: 2, crc32: 5, snapshotCrc32: 6, snapshotSize: 80 },
    context: new Uint8Array([9]),
  });
}

const handshake = (): Buffer => Buffer.from(encodeHandshake('c1', 'f'));
const frameOf = (value: unknown): Buffer => withLengthPrefix(pack(value));

/** Values of the wrong type or range for each position of a wire message, and for whole-tuple shapes. */
function invalidWireMessage(rng: Prng, index: number): unknown[] {
  const t = encodeMessage(valid(index));
  const data = new Uint8Array(1);
  const choices: (() => void)[] = [
    () => (t[0] = rng.chance(0.5) ? 99 : 0), // unknown type code, or the local-only 'hup'
    () => (t[0] = 'app'),
    () => (t[1] = 5),
    () => (t[2] = null),
    () => (t[1] = 'x'.repeat(300)),
    () => (t[3] = -1),
    () => (t[4] = 1.5),
    () => (t[5] = 2 ** 53),
    () => (t[6] = 'commit'),
    () => (t[7] = 0),
    () => (t[8] = data),
    () => (t[9] = 'entries'),
    () => (t[9] = [[1, 2]]),
    () => (t[9] = [[1, 2, 5, data]]),
    () => (t[9] = [[1, 2, 0, 'not bytes']]),
    () => (t[9] = [[-1, 2, 0, data]]),
    () => (t[10] = [1, 2]),
    () => (t[10] = [1, 2, [[], [], [], []], data]),
    () => (t[10] = [1, 2, [[1], [], [], [], false], data]),
    () => (t[10] = [1, 2, [[], [], [], [], 'yes'], data]),
    () => (t[10] = null), // a chunk without its snapshot
    () => (t[11] = [3, 3, 0, 0, 0]),
    () => (t[11] = [0, 0, 0, 0, 0]),
    () => (t[11] = [0, 1, 2 ** 32, 0, 0]),
    () => (t[12] = 'ctx'),
    () => (t[12] = []),
    () => t.pop(),
    () => t.push(1),
    () => (t[3] = new Map([['a', 1]])),
  ];
  choices[rng.int(choices.length)]!();
  return t;
}

/** An independent statement of what a delivered message may look like. */
function wellFormed(m: Message): boolean {
  const uint = (n: unknown): boolean => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  const bytes = (v: unknown): boolean => v instanceof Uint8Array;
  return (
    typeof m.type === 'string' &&
    !['hup', 'beat', 'unreachable', 'check_quorum'].includes(m.type) &&
    m.to === 'b' &&
    m.from === 'f' &&
    [m.term, m.logTerm, m.index, m.commit, m.rejectHint].every(uint) &&
    typeof m.reject === 'boolean' &&
    m.entries.every(
      (e) => uint(e.term) && uint(e.index) && bytes(e.data) && ['normal', 'conf_change'].includes(e.type),
    ) &&
    (m.context === undefined || bytes(m.context)) &&
    (m.snapshot === undefined || (bytes(m.snapshot.data) && uint(m.snapshot.metadata.index))) &&
    (m.chunk === undefined || (m.snapshot !== undefined && m.chunk.index < m.chunk.total))
  );
}

function randomBytes(rng: Prng, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(256);
  return out;
}

describe('TcpTransport decoding under fuzz', () => {
  it('survives 2,000 garbage and mutated frames, delivers nothing invalid, and still serves a good peer', async () => {
    const rng = new Prng(0x5eed);
    const mustNotArrive = new Set<number>();
    let mustBeBad = 0;
    const iterations = 2000;
    const parallel = 16;
    for (let start = 0; start < iterations; start += parallel) {
      const batch: Promise<unknown>[] = [];
      for (let i = start; i < Math.min(iterations, start + parallel); i++) {
        const marker = MARKER_BASE + i;
        let bytes: Buffer[];
        switch (i % 7) {
          case 0: // raw garbage, no handshake
            bytes = [randomBytes(rng, rng.int(300))];
            break;
          case 1: // a valid batch where the handshake should be: never delivered
            bytes = [Buffer.from(encodeMessageBatch([valid(marker)]))];
            mustNotArrive.add(marker);
            mustBeBad++;
            break;
          case 2: // handshake, then a frame of random bytes
            bytes = [handshake(), withLengthPrefix(randomBytes(rng, 1 + rng.int(500)))];
            mustBeBad++;
            break;
          case 3: {
            // handshake, then a valid frame with a few bytes flipped, cut short, or extended
            const payload = Buffer.from(encodeMessageBatch([valid(i)]).subarray(4));
            const how = rng.int(3);
            let mutated: Buffer;
            if (how === 0) {
              mutated = Buffer.from(payload);
              for (let k = 1 + rng.int(4); k > 0; k--) mutated[rng.int(mutated.length)] = rng.int(256);
            } else if (how === 1) {
              mutated = payload.subarray(0, rng.int(payload.length));
            } else {
              mutated = Buffer.concat([payload, randomBytes(rng, 1 + rng.int(20))]);
            }
            bytes = [handshake(), withLengthPrefix(mutated)];
            break;
          }
          case 4: // handshake, then a batch of one valid and one invalid message: the whole frame is refused
            bytes = [handshake(), frameOf([1, [encodeMessage(valid(marker)), invalidWireMessage(rng, i)]])];
            mustNotArrive.add(marker);
            mustBeBad++;
            break;
          case 5: {
            // a handshake of another cluster, version or protocol, then a valid batch
            const which = rng.int(3);
            const hs =
              which === 0
                ? [0, PROTOCOL_NAME, 1, 'c2', 'f']
                : which === 1
                  ? [0, PROTOCOL_NAME, 2, 'c1', 'f']
                  : [0, 'other-proto', 1, 'c1', 'f'];
            bytes = [frameOf(hs), Buffer.from(encodeMessageBatch([valid(marker)]))];
            mustNotArrive.add(marker);
            break;
          }
          default: {
            // valid frames split at random points: these must arrive
            const frame = Buffer.concat([handshake(), Buffer.from(encodeMessageBatch([valid(i)]))]);
            const cut = rng.int(frame.length);
            bytes = [frame.subarray(0, cut), frame.subarray(cut)];
          }
        }
        batch.push(rawExchange(address, bytes));
      }
      await Promise.all(batch);
    }

    const delivered = hb.messages;
    expect(delivered.filter((m) => !wellFormed(m))).toStrictEqual([]);
    expect(delivered.filter((m) => mustNotArrive.has(m.index))).toStrictEqual([]);
    // Every split valid frame arrived: the reader reassembles frames across chunks.
    const splitValid = Array.from({ length: iterations }, (_, i) => i).filter((i) => i % 7 === 6);
    const arrived = new Set(delivered.map((m) => m.index));
    expect(splitValid.filter((i) => !arrived.has(i))).toStrictEqual([]);
    const stats = b.stats();
    expect(stats.badFrames).toBeGreaterThanOrEqual(mustBeBad);
    expect(stats.rejectedHandshakes).toBeGreaterThan(0);
    expect(log.lines.some((l) => l.startsWith('warn') && l.includes('bad frame from'))).toBe(true);

    // A good peer still gets through.
    const a = new TcpTransport({ nodeId: 'f', clusterId: 'c1', listen: { host: '127.0.0.1', port: 0 } });
    await a.start(new RecordingHandlers());
    try {
      a.setPeer('b', address);
      const before = hb.messages.length;
      a.send([message({ type: 'heartbeat', from: 'f', to: 'b', term: 77 })]);
      await hb.until(() => hb.messages.length > before, 'a good message after the fuzz');
      expect(hb.messages.at(-1)!.term).toBe(77);
    } finally {
      await a.close();
    }
  });

  it('closes on an oversized length prefix at once, without waiting for (or buffering) the payload', async () => {
    const before = b.stats().oversizedFrames;
    const header = Buffer.alloc(4);
    header.writeUInt32BE(0xfffffff0, 0);
    // We never end our side: only the transport can close this connection.
    const res = await rawExchange(address, [handshake(), header], false);
    expect(res.closedByRemote).toBe(true);
    expect(b.stats().oversizedFrames).toBe(before + 1);

    // Just above the configured 1 MiB limit is refused the same way.
    header.writeUInt32BE((1 << 20) + 1, 0);
    expect((await rawExchange(address, [handshake(), header], false)).closedByRemote).toBe(true);
    expect(b.stats().oversizedFrames).toBe(before + 2);
  });

  it('allows only a small frame before the handshake', async () => {
    const before = b.stats().oversizedFrames;
    const header = Buffer.alloc(4);
    header.writeUInt32BE(8192, 0);
    expect((await rawExchange(address, [header], false)).closedByRemote).toBe(true);
    expect(b.stats().oversizedFrames).toBe(before + 1);
  });

  it('refuses another protocol version with a logged reason and delivers nothing sent after it', async () => {
    const before = hb.messages.length;
    const rejected = b.stats().rejectedHandshakes;
    const res = await rawExchange(
      address,
      [frameOf([0, PROTOCOL_NAME, 2, 'c1', 'f']), Buffer.from(encodeMessageBatch([valid(MARKER_BASE - 1)]))],
      false,
    );
    expect(res.closedByRemote).toBe(true);
    expect(hb.messages.length).toBe(before);
    expect(b.stats().rejectedHandshakes).toBe(rejected + 1);
    expect(log.lines.some((l) => l.includes("node 'f'") && l.includes('protocol version 2 is not 1'))).toBe(
      true,
    );
  });

  it('answers a wrong handshake with its own cluster id and closes', async () => {
    const res = await rawExchange(address, [frameOf([0, PROTOCOL_NAME, 1, 'c9', 'f'])], false);
    expect(res.closedByRemote).toBe(true);
    expect(res.received.subarray(4)).toStrictEqual(Buffer.from(encodeHandshake('c1', 'b')).subarray(4));
  });
});

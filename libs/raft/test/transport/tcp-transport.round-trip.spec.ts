import { afterEach, describe, expect, it } from 'vitest';
import type { Message, MessageType } from '../../src/core/types.js';
import { TcpTransport } from '../../src/transport/tcp-transport.js';
import { message, RecordingHandlers } from './support/recording-handlers.js';

const WIRE_TYPES: MessageType[] = [
  'prop',
  'snap_status',
  'transfer_leader',
  'read_index',
  'app',
  'app_resp',
  'vote',
  'vote_resp',
  'prevote',
  'prevote_resp',
  'heartbeat',
  'heartbeat_resp',
  'snap',
  'timeout_now',
  'read_index_resp',
];

const open: TcpTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

async function pair(
  maxQueuedMessages?: number,
): Promise<{ a: TcpTransport; b: TcpTransport; bHandlers: RecordingHandlers }> {
  const a = new TcpTransport({
    nodeId: 'a',
    clusterId: 'c1',
    listen: { host: '127.0.0.1', port: 0 },
    ...(maxQueuedMessages === undefined ? {} : { maxQueuedMessages }),
  });
  const b = new TcpTransport({ nodeId: 'b', clusterId: 'c1', listen: { host: '127.0.0.1', port: 0 } });
  open.push(a, b);
  const bHandlers = new RecordingHandlers();
  await a.start(new RecordingHandlers());
  a.setPeer('b', await b.start(bHandlers));
  return { a, b, bHandlers };
}

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

function sample(type: MessageType, i: number): Message {
  const m = message({
    type,
    from: 'a',
    to: 'b',
    term: 7 + i,
    logTerm: 6,
    index: 2 ** 40 + i,
    commit: Number.MAX_SAFE_INTEGER,
    reject: i % 2 === 0,
    rejectHint: i,
    entries: [
      { term: 7, index: 100 + i, type: 'normal', data: bytes(256, i) },
      { term: 7, index: 101 + i, type: 'conf_change', data: new Uint8Array(0) },
    ],
    context: bytes(17, i),
  });
  if (type === 'snap') {
    m.snapshot = {
      metadata: {
        index: 99,
        term: 6,
        confState: {
          voters: ['a', 'b', 'c'],
          learners: ['d'],
          votersOutgoing: ['a', 'x'],
          learnersNext: ['x'],
          autoLeave: true,
        },
      },
      data: bytes(4096, 3),
    };
    m.chunk = { index: 2, total: 5, crc32: 0xfedcba98, snapshotCrc32: 0x12345678, snapshotSize: 5 << 20 };
  }
  return m;
}

describe('TcpTransport round trip', () => {
  it('delivers every wire message type with all fields, entries, snapshot chunk and context intact', async () => {
    const { a, bHandlers } = await pair();
    const sent = WIRE_TYPES.map((t, i) => sample(t, i));
    a.send(sent);
    await bHandlers.until(() => bHandlers.messages.length === sent.length, 'all message types');
    expect(bHandlers.messages).toStrictEqual(sent);
    for (const m of bHandlers.messages) {
      // Byte fields arrive as plain Uint8Array, exactly what the core produces.
      expect(Object.getPrototypeOf(m.entries[0]!.data)).toBe(Uint8Array.prototype);
      expect(Object.getPrototypeOf(m.context!)).toBe(Uint8Array.prototype);
      if (m.snapshot) expect(Object.getPrototypeOf(m.snapshot.data)).toBe(Uint8Array.prototype);
    }
  });

  it('keeps optional fields absent when they were absent', async () => {
    const { a, bHandlers } = await pair();
    const bare = message({ type: 'heartbeat', from: 'a', to: 'b', term: 1 });
    a.send([bare]);
    await bHandlers.until(() => bHandlers.messages.length === 1, 'the heartbeat');
    expect(bHandlers.messages[0]).toStrictEqual(bare);
    expect('snapshot' in bHandlers.messages[0]!).toBe(false);
    expect('context' in bHandlers.messages[0]!).toBe(false);
  });

  it('delivers 10,000 messages in order, batching them into far fewer frames', async () => {
    // Nothing may be dropped here, even while the connection is still being set up.
    const { a, bHandlers } = await pair(20_000);
    const total = 10_000;
    for (let i = 0; i < total; i += 100) {
      const burst: Message[] = [];
      for (let j = i; j < i + 100; j++) {
        burst.push(
          message({
            type: 'app',
            from: 'a',
            to: 'b',
            index: j,
            entries: [{ term: 1, index: j + 1, type: 'normal', data: bytes(32, j) }],
          }),
        );
      }
      a.send(burst);
      if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
    }
    await bHandlers.until(() => bHandlers.messages.length === total, '10,000 messages');
    expect(bHandlers.messages.map((m) => m.index)).toStrictEqual(Array.from({ length: total }, (_, i) => i));
    expect(bHandlers.messages[total - 1]!.entries[0]!.data).toStrictEqual(bytes(32, total - 1));
    const stats = a.stats().peers['b']!;
    expect(stats).toMatchObject({ sent: total, dropped: 0, queued: 0, connected: true });
    expect(stats.frames).toBeLessThanOrEqual(total / 50);
  });

  it('carries a 1 MiB snapshot chunk byte for byte', async () => {
    const { a, bHandlers } = await pair();
    const m = sample('snap', 0);
    m.snapshot!.data = bytes(1 << 20, 9);
    a.send([m]);
    await bHandlers.until(() => bHandlers.messages.length === 1, 'the snapshot chunk');
    const got = bHandlers.messages[0]!.snapshot!.data;
    // Buffer.compare instead of a deep equality: vitest compares typed arrays element by element.
    expect(
      Buffer.compare(Buffer.from(got.buffer, got.byteOffset, got.byteLength), Buffer.from(m.snapshot!.data)),
    ).toBe(0);
  });

  it('sends messages for several peers from one send() call to each of them', async () => {
    const a = new TcpTransport({ nodeId: 'a', clusterId: 'c1', listen: { host: '127.0.0.1', port: 0 } });
    const b = new TcpTransport({ nodeId: 'b', clusterId: 'c1', listen: { host: '127.0.0.1', port: 0 } });
    const c = new TcpTransport({ nodeId: 'c', clusterId: 'c1', listen: { host: '127.0.0.1', port: 0 } });
    open.push(a, b, c);
    const hb = new RecordingHandlers();
    const hc = new RecordingHandlers();
    await a.start(new RecordingHandlers());
    a.setPeer('b', await b.start(hb));
    a.setPeer('c', await c.start(hc));
    a.send([
      message({ type: 'vote', from: 'a', to: 'b', term: 1 }),
      message({ type: 'vote', from: 'a', to: 'c', term: 1 }),
      message({ type: 'vote', from: 'a', to: 'b', term: 2 }),
    ]);
    await hb.until(() => hb.messages.length === 2, 'votes at b');
    await hc.until(() => hc.messages.length === 1, 'vote at c');
    expect(hb.messages.map((m) => m.term)).toStrictEqual([1, 2]);
    expect(hc.messages[0]!.to).toBe('c');
  });
});

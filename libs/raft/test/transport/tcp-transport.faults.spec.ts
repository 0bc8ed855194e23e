import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/core/types.js';
import { TcpTransport, type TcpTransportOptions } from '../../src/transport/tcp-transport.js';
import { freePort } from './support/free-port.js';
import { eventually, message, RecordingHandlers, RecordingLogger } from './support/recording-handlers.js';

const open: TcpTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

function transport(nodeId: string, extra: Partial<TcpTransportOptions> = {}): TcpTransport {
  const t = new TcpTransport({
    nodeId,
    clusterId: 'c1',
    listen: { host: '127.0.0.1', port: 0 },
    backoff: { initialMs: 20, maxMs: 100 },
    ...extra,
  });
  open.push(t);
  return t;
}

function app(index: number, to = 'b'): Message {
  return message({ type: 'app', from: 'a', to, index });
}

function snapChunk(index: number, total: number, snapshotIndex = 50, to = 'b'): Message {
  return message({
    type: 'snap',
    from: 'a',
    to,
    snapshot: {
      metadata: {
        index: snapshotIndex,
        term: 3,
        confState: {
          voters: ['a', 'b'],
          learners: [],
          votersOutgoing: [],
          learnersNext: [],
          autoLeave: false,
        },
      },
      data: new Uint8Array(1000).fill(index),
    },
    chunk: { index, total, crc32: 1, snapshotCrc32: 2, snapshotSize: 1000 * total },
  });
}

describe('TcpTransport faults', () => {
  it('reports a down peer once per backoff round and resumes delivery when it comes up', async () => {
    const port = await freePort();
    const a = transport('a', { peers: { b: `127.0.0.1:${port}` } });
    const ha = new RecordingHandlers();
    await a.start(ha);

    // Heartbeat-like traffic while b is down: many messages, few reports.
    let sentWhileDown = 0;
    while (ha.unreachable.length < 3) {
      for (let k = 0; k < 20; k++) a.send([app(sentWhileDown++)]);
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(ha.unreachable.every((p) => p === 'b')).toBe(true);
    expect(sentWhileDown).toBeGreaterThan(ha.unreachable.length * 2);
    expect(ha.unreachable.length).toBeLessThanOrEqual(a.stats().peers['b']!.reconnects + 1);
    expect(a.stats().peers['b']!.connected).toBe(false);

    const b = transport('b', { listen: { host: '127.0.0.1', port } });
    const hb = new RecordingHandlers();
    await b.start(hb);
    a.send([app(1_000_000)]);
    await hb.until(() => hb.messages.some((m) => m.index === 1_000_000), 'delivery after b came up');
    expect(a.stats().peers['b']).toMatchObject({ connected: true });
    expect(a.stats().peers['b']!.reconnects).toBeGreaterThan(0);
    // What was queued while b was down arrives too, in order.
    const indexes = hb.messages.map((m) => m.index);
    expect(indexes).toStrictEqual([...indexes].sort((x, y) => x - y));
  });

  it('reconnects after the peer restarts on the same address', async () => {
    const a = transport('a');
    const ha = new RecordingHandlers();
    await a.start(ha);
    const b1 = transport('b');
    const hb1 = new RecordingHandlers();
    const address = await b1.start(hb1);
    a.setPeer('b', address);
    a.send([app(1)]);
    await hb1.until(() => hb1.messages.length === 1, 'first delivery');
    await b1.close();
    await ha.until(() => ha.unreachable.length > 0, 'unreachable after b stopped');

    const port = Number(address.split(':')[1]);
    const b2 = transport('b', { listen: { host: '127.0.0.1', port } });
    const hb2 = new RecordingHandlers();
    await b2.start(hb2);
    for (let i = 2; !hb2.messages.some((m) => m.index >= 2); i++) {
      a.send([app(i)]);
      await new Promise((r) => setTimeout(r, 20));
      if (i > 2000) throw new Error('no delivery to the restarted peer');
    }
  });

  it('drops the OLDEST messages when the queue overflows, reports it, and delivers the newest', async () => {
    const port = await freePort();
    const a = transport('a', { peers: { b: `127.0.0.1:${port}` }, maxQueuedMessages: 10 });
    const ha = new RecordingHandlers();
    await a.start(ha);
    a.send(Array.from({ length: 25 }, (_, i) => app(i)));
    expect(a.stats().peers['b']).toMatchObject({ dropped: 15, queued: 10 });
    expect(ha.unreachable).toContain('b');

    const b = transport('b', { listen: { host: '127.0.0.1', port } });
    const hb = new RecordingHandlers();
    await b.start(hb);
    await hb.until(() => hb.messages.length === 10, 'the 10 newest messages');
    expect(hb.messages.map((m) => m.index)).toStrictEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
  });

  it('bounds the queue by bytes as well', async () => {
    const port = await freePort();
    const a = transport('a', { peers: { b: `127.0.0.1:${port}` }, maxQueuedBytes: 10_000 });
    await a.start(new RecordingHandlers());
    const big = (i: number): Message => ({
      ...app(i),
      entries: [{ term: 1, index: i, type: 'normal', data: new Uint8Array(3000) }],
    });
    a.send([big(0), big(1), big(2), big(3), big(4)]);
    const stats = a.stats().peers['b']!;
    expect(stats.queued).toBe(3);
    expect(stats.dropped).toBe(2);
  });

  it('reports a snapshot as sent once its last chunk is written', async () => {
    const a = transport('a');
    const ha = new RecordingHandlers();
    await a.start(ha);
    const b = transport('b');
    const hb = new RecordingHandlers();
    a.setPeer('b', await b.start(hb));
    a.send([snapChunk(0, 3), snapChunk(1, 3), snapChunk(2, 3)]);
    await hb.until(() => hb.messages.length === 3, 'three chunks');
    await ha.until(() => ha.snapshotStatus.length > 0, 'snapshot status');
    expect(ha.snapshotStatus).toStrictEqual([{ peer: 'b', ok: true }]);
  });

  it('reports a snapshot as failed once when its chunks cannot reach the peer', async () => {
    const port = await freePort();
    const a = transport('a', { peers: { b: `127.0.0.1:${port}` } });
    const ha = new RecordingHandlers();
    await a.start(ha);
    a.send([snapChunk(0, 3), snapChunk(1, 3), snapChunk(2, 3)]);
    await ha.until(() => ha.snapshotStatus.length > 0, 'snapshot status');
    await ha.until(() => ha.unreachable.length > 0, 'unreachable');
    expect(ha.snapshotStatus).toStrictEqual([{ peer: 'b', ok: false }]);
    expect(a.stats().peers['b']!.queued).toBe(0);
  });

  it('reports a snapshot chunk pushed out of a full queue as failed and skips the rest of it', async () => {
    const port = await freePort();
    const a = transport('a', { peers: { b: `127.0.0.1:${port}` }, maxQueuedMessages: 2 });
    const ha = new RecordingHandlers();
    await a.start(ha);
    a.send([snapChunk(0, 3), snapChunk(1, 3), app(1), app(2)]);
    expect(ha.snapshotStatus).toStrictEqual([{ peer: 'b', ok: false }]);
    // The second chunk was pushed out too; the newer 'app' messages stay.
    expect(a.stats().peers['b']).toMatchObject({ queued: 2, dropped: 2 });
    a.send([snapChunk(2, 3)]);
    expect(a.stats().peers['b']).toMatchObject({ queued: 2, dropped: 3 });
    expect(ha.snapshotStatus).toHaveLength(1);
  });

  it('never mixes two clusters: a wrong cluster id is rejected in both directions and nothing is delivered', async () => {
    const logB = new RecordingLogger();
    const logX = new RecordingLogger();
    const b = transport('b', { logger: logB });
    const hb = new RecordingHandlers();
    const bAddress = await b.start(hb);
    const x = transport('x', { clusterId: 'c2', logger: logX });
    const hx = new RecordingHandlers();
    const xAddress = await x.start(hx);

    x.setPeer('b', bAddress);
    b.setPeer('x', xAddress);
    x.send([message({ type: 'vote', from: 'x', to: 'b', term: 9 })]);
    b.send([message({ type: 'vote', from: 'b', to: 'x', term: 9 })]);
    await hx.until(() => hx.unreachable.includes('b'), 'x finds b unreachable');
    await hb.until(() => hb.unreachable.includes('x'), 'b finds x unreachable');
    await eventually(
      () => b.stats().rejectedHandshakes >= 2 && x.stats().rejectedHandshakes >= 2,
      'rejections',
    );

    expect(hb.messages).toHaveLength(0);
    expect(hx.messages).toHaveLength(0);
    expect(logB.lines.some((l) => l.includes("cluster id 'c2' is not 'c1'"))).toBe(true);
    expect(logX.lines.some((l) => l.includes("cluster id 'c1' is not 'c2'"))).toBe(true);

    // b still talks to its own cluster.
    const a = transport('a');
    await a.start(new RecordingHandlers());
    a.setPeer('b', bAddress);
    a.send([app(7)]);
    await hb.until(() => hb.messages.length === 1, 'delivery from the own cluster');
    expect(hb.messages[0]!.from).toBe('a');
  });

  it('drops and counts messages addressed to another node', async () => {
    const a = transport('a');
    await a.start(new RecordingHandlers());
    const b = transport('b');
    const hb = new RecordingHandlers();
    const address = await b.start(hb);
    // 'c' is mapped to b's address: b must not take c's messages, nor ones claiming to be from someone else.
    a.setPeer('c', address);
    a.setPeer('b', address);
    a.send([app(1, 'c'), message({ type: 'app', from: 'z', to: 'b', index: 2 }), app(3)]);
    await hb.until(() => hb.messages.length === 1, 'the well-addressed message');
    await eventually(() => b.stats().misaddressed === 2, 'misaddressed count');
    expect(hb.messages[0]!.index).toBe(3);
  });

  it('keeps delivering when the message handler throws, and logs the error', async () => {
    const a = transport('a');
    await a.start(new RecordingHandlers());
    const log = new RecordingLogger();
    const b = transport('b', { logger: log });
    const hb = new RecordingHandlers();
    const onMessage = hb.onMessage.bind(hb);
    hb.onMessage = (m) => {
      onMessage(m);
      if (m.index === 1) throw new Error('core exploded');
    };
    a.setPeer('b', await b.start(hb));
    a.send([app(1), app(2)]);
    await hb.until(() => hb.messages.length === 2, 'both messages');
    a.send([app(3)]);
    await hb.until(() => hb.messages.length === 3, 'a message after the throw');
    expect(
      log.lines.some(
        (l) => l.startsWith('error') && l.includes('onMessage handler threw: Error: core exploded'),
      ),
    ).toBe(true);
    expect(b.stats().badFrames).toBe(0);
  });

  it('applies an address change by reconnecting to the new address', async () => {
    const a = transport('a');
    await a.start(new RecordingHandlers());
    const b1 = transport('b');
    const h1 = new RecordingHandlers();
    a.setPeer('b', await b1.start(h1));
    a.send([app(1)]);
    await h1.until(() => h1.messages.length === 1, 'delivery to the first address');
    const b2 = transport('b');
    const h2 = new RecordingHandlers();
    a.setPeer('b', await b2.start(h2));
    a.send([app(2)]);
    await h2.until(() => h2.messages.length === 1, 'delivery to the new address');
    expect(h2.messages[0]!.index).toBe(2);
    expect(h1.messages).toHaveLength(1);
  });
});

import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/core/types.js';
import { PeerSendQueue } from '../../src/transport/peer-send-queue.js';
import { message } from './support/recording-handlers.js';

const m = (index: number): Message => message({ type: 'app', from: 'a', to: 'b', index });

describe('PeerSendQueue', () => {
  it('drops the oldest messages when the count limit is reached', () => {
    const q = new PeerSendQueue(3, 1_000_000);
    const dropped = [1, 2, 3, 4, 5].flatMap((i) => q.push(m(i), 10));
    expect(dropped.map((d) => d.index)).toStrictEqual([1, 2]);
    expect(q.takeBatch(1_000_000).map((d) => d.index)).toStrictEqual([3, 4, 5]);
    expect(q.length).toBe(0);
    expect(q.bytes).toBe(0);
  });

  it('drops the oldest messages to stay under the byte limit, and refuses a message larger than it', () => {
    const q = new PeerSendQueue(100, 100);
    q.push(m(1), 40);
    q.push(m(2), 40);
    expect(q.push(m(3), 40).map((d) => d.index)).toStrictEqual([1]);
    expect(q.bytes).toBe(80);
    expect(q.push(m(4), 101).map((d) => d.index)).toStrictEqual([4]);
    expect(q.length).toBe(2);
  });

  it('cuts batches by bytes but always takes at least one message', () => {
    const q = new PeerSendQueue(100, 1_000_000);
    for (let i = 0; i < 5; i++) q.push(m(i), 50);
    expect(q.takeBatch(10).map((d) => d.index)).toStrictEqual([0]);
    expect(q.takeBatch(100).map((d) => d.index)).toStrictEqual([1, 2]);
    expect(q.takeBatch(1000).map((d) => d.index)).toStrictEqual([3, 4]);
  });

  it('removes matching messages and keeps the rest in order', () => {
    const q = new PeerSendQueue(100, 1_000_000);
    for (let i = 0; i < 6; i++) q.push(m(i), 10);
    expect(q.removeWhere((x) => x.index % 2 === 0).map((d) => d.index)).toStrictEqual([0, 2, 4]);
    expect(q.bytes).toBe(30);
    expect(q.takeBatch(1000).map((d) => d.index)).toStrictEqual([1, 3, 5]);
  });

  it('stays bounded in memory under a long overflow', () => {
    const q = new PeerSendQueue(10, 1_000_000);
    for (let i = 0; i < 100_000; i++) q.push(m(i), 1);
    expect(q.length).toBe(10);
    expect((q as unknown as { messages: unknown[] }).messages.length).toBeLessThan(3000);
    expect(q.takeBatch(1000).map((d) => d.index)).toStrictEqual(
      Array.from({ length: 10 }, (_, i) => 99_990 + i),
    );
  });
});

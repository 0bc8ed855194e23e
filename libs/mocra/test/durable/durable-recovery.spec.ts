import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterEach, describe, expect, it } from 'vitest';
import { DURABLE_SUBLEVELS } from '../../src/queue/durable/durable-layout.js';
import { encodeMessageKey } from '../../src/queue/durable/message-key.js';
import type { PipelineEnvelope, Priority, QueueMessage } from '../../src/queue/index.js';
import { prng } from '../queue/envelope.fixtures.js';
import { CrashChild } from './support/child-process.js';
import { DurableFixture, tagOf, tagged } from './support/durable.fixtures.js';

const fx = new DurableFixture();
afterEach(() => fx.cleanup());

const PRIORITY_CYCLE: Priority[] = ['normal', 'high', 'low', 'normal', 'high'];
const priorityOf = (i: number): Priority => PRIORITY_CYCLE[i % PRIORITY_CYCLE.length] as Priority;
const indexOf = (tag: string): number => Number(tag.slice(1));

/** Delivers everything waiting, one at a time, and returns the messages in delivery order. */
async function drainAll(
  q: Awaited<ReturnType<DurableFixture['open']>>,
): Promise<Array<QueueMessage<PipelineEnvelope>>> {
  const got: Array<QueueMessage<PipelineEnvelope>> = [];
  const sub = q.subscribe('request', async (m) => void got.push(m), { concurrency: 1 });
  await q.onIdle();
  await sub.stop();
  return got;
}

/** Within each priority, messages must come in publish (index) order. */
function expectFifoPerPriority(tags: string[]): void {
  for (const priority of ['high', 'normal', 'low'] as const) {
    const mine = tags.map(indexOf).filter((i) => priorityOf(i) === priority);
    expect(mine).toEqual([...mine].sort((a, b) => a - b));
  }
}

function rawDb(path: string): ClassicLevel<Buffer, Buffer> {
  return new ClassicLevel<Buffer, Buffer>(path, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
}

describe('DurableLocalQueueManager restart', () => {
  it('after close, brings back exactly the unacked messages, highest priority first, FIFO within one', async () => {
    const path = await fx.dir();
    const first = await fx.open({ path });
    for (let i = 0; i < 30; i++) await first.publish('request', tagged(`m${i}`, priorityOf(i)));
    const acked: string[] = [];
    const sub = first.subscribe('request', async (m) => void acked.push(tagOf(m)), { concurrency: 1 });
    while (acked.length < 10) await new Promise((r) => setImmediate(r));
    await sub.stop();
    await first.close();

    const second = await fx.open({ path });
    const expected = Array.from({ length: 30 }, (_, i) => `m${i}`).filter((t) => !acked.includes(t));
    expect(second.recovery).toMatchObject({ recovered: expected.length, leasesReturned: 0, quarantined: 0 });
    const got = await drainAll(second);
    const tags = got.map(tagOf);
    expect([...tags].sort()).toEqual([...expected].sort());
    expect(got.every((m) => m.attempt === 0)).toBe(true);
    const priorities = got.map((m) => m.priority);
    expect(priorities).toEqual([...priorities].sort((a, b) => rank(a) - rank(b)));
    expectFifoPerPriority(tags);
    expect(fx.reports.at(-1)).toMatch(new RegExp(`: ${expected.length} message\\(s\\) recovered`));
  });

  it('with sync writes, keeps what was published across a restart', async () => {
    const path = await fx.dir();
    const first = await fx.open({ path, sync: true });
    await Promise.all(['s0', 's1', 's2'].map((t) => first.publish('parser_task', tagged(t, 'low'))));
    await first.close();
    const second = await fx.open({ path, sync: true });
    const got: string[] = [];
    second.subscribe('parser_task', async (m) => void got.push(tagOf(m)), { concurrency: 1 });
    await second.onIdle();
    expect(got).toEqual(['s0', 's1', 's2']);
  });

  it('persists the sequence, so message ids never repeat across restarts', async () => {
    const path = await fx.dir();
    const first = await fx.open({ path });
    for (let i = 0; i < 5; i++) await first.publish('task', tagged(`a${i}`));
    const before = new Set<string>();
    first.subscribe('task', async (m) => void before.add(m.id), { concurrency: 1 });
    await first.onIdle();
    await first.close();
    const second = await fx.open({ path });
    expect(second.recovery.recovered).toBe(0);
    await second.publish('task', tagged('b0'));
    const after: string[] = [];
    second.subscribe('task', async (m) => void after.push(m.id), { concurrency: 1 });
    await second.onIdle();
    expect(before.size).toBe(5);
    expect(after).toHaveLength(1);
    expect(before.has(after[0] as string)).toBe(false);
  });

  it('keeps a nacked message with its attempt and backoff across a restart', async () => {
    const path = await fx.dir();
    const first = await fx.open({ path, nackMaxRetries: 3, nackBackoffMs: 200 });
    const firstIds: string[] = [];
    first.subscribe(
      'response',
      async (m) => {
        firstIds.push(m.id);
        throw new Error('not yet');
      },
      { concurrency: 1 },
    );
    await first.publish('response', tagged('r', 'low'));
    while (firstIds.length === 0 || first.inflight() > 0) await new Promise((r) => setImmediate(r));
    await first.close();

    const second = await fx.open({ path, nackMaxRetries: 3, nackBackoffMs: 200 });
    expect(second.recovery).toMatchObject({ recovered: 1, backingOff: 1 });
    expect(second.depth()).toBe(0);
    const got: QueueMessage[] = [];
    second.subscribe('response', async (m) => void got.push(m), { concurrency: 1 });
    await second.onIdle();
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ attempt: 1, priority: 'low', id: firstIds[0] });
  });

  it('keeps dead letters in the same database and requeues one after a restart', async () => {
    const path = await fx.dir();
    const first = await fx.open({ path });
    first.subscribe('task', () => Promise.reject(new Error('broken parser')), { concurrency: 1 });
    await first.publish('task', tagged('t1', 'high'));
    await first.onIdle();
    await first.close();

    const second = await fx.open({ path });
    expect(second.recovery.recovered).toBe(0);
    const { items } = await second.dlq.list({ reason: 'broken' });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ sourceRoute: 'task', sourcePriority: 'high', attempt: 1 });
    expect(await second.requeueDeadLetter(items[0]?.id ?? '')).toBe(true);
    await second.close();

    // The requeued message and the dead letter's removal were committed together.
    const third = await fx.open({ path });
    expect(await third.dlq.count()).toBe(0);
    expect(third.recovery.recovered).toBe(1);
    const got: string[] = [];
    third.subscribe('task', async (m) => void got.push(tagOf(m)), { concurrency: 1 });
    await third.onIdle();
    expect(got).toEqual(['t1']);
  });
});

describe('DurableLocalQueueManager after kill -9', () => {
  it('returns leased and pending messages, not acked ones, in priority then publish order', async () => {
    const path = await fx.dir();
    const child = new CrashChild(['leased', path, '60', '20']);
    const ready = await child.waitFor((l) => l.startsWith('READY '), 'READY');
    await child.kill();
    const acked = JSON.parse(ready.slice('READY '.length)) as string[];
    expect(acked).toHaveLength(20);

    const q = await fx.open({ path });
    expect(q.recovery).toMatchObject({ recovered: 40, leasesReturned: 3, quarantined: 0 });
    const tags = (await drainAll(q)).map(tagOf);
    const expected = Array.from({ length: 60 }, (_, i) => `m${i}`).filter((t) => !acked.includes(t));
    expect([...tags].sort()).toEqual([...expected].sort());
    expectFifoPerPriority(tags);
  });

  it('keeps every committed publish and its seen-set member, committed together, when killed mid-stream', async () => {
    const path = await fx.dir();
    const target = 200 + Math.floor(prng(Date.now())() * 800);
    const child = new CrashChild(['stream', path]);
    const line = await child.waitFor(
      (l) => l.startsWith('C ') && Number(l.slice(2)) >= target,
      `C >= ${target}`,
    );
    await child.kill();
    const reported = Number(line.slice(2));

    const q = await fx.open({ path });
    expect(q.quarantined).toBe(0);
    const indexes = (await drainAll(q)).map((m) => indexOf(tagOf(m)));
    const max = Math.max(...indexes);
    // Batches commit in order: what survived is a prefix of the publishes, at least every one reported.
    expect(max).toBeGreaterThanOrEqual(reported);
    expect([...indexes].sort((a, b) => a - b)).toEqual(Array.from({ length: max + 1 }, (_, i) => i));
    expectFifoPerPriority(indexes.map((i) => `m${i}`));
    // Each publish and its seen-set member were issued in one turn, so they committed in one batch.
    const members = (await q.state.loadSet('seen')).map((fp) => Buffer.from(fp).readUInt32BE(4));
    expect(members).toEqual(Array.from({ length: max + 1 }, (_, i) => i));
  });
});

describe('DurableLocalQueueManager with corrupt records', () => {
  it('quarantines undecodable values and bad keys, reports them and delivers the rest', async () => {
    const path = await fx.dir();
    const first = await fx.open({ path });
    for (let i = 0; i < 10; i++) await first.publish('request', tagged(`m${i}`, priorityOf(i)));
    await first.close();

    const raw = rawDb(path);
    const queue = raw.sublevel<Buffer, Buffer>(DURABLE_SUBLEVELS.queue, {
      keyEncoding: 'buffer',
      valueEncoding: 'buffer',
    });
    const records: Array<[Buffer, Buffer]> = [];
    for await (const entry of queue.iterator()) records.push(entry);
    expect(records).toHaveLength(10);
    const [truncatedKey, truncatedValue] = records[3] as [Buffer, Buffer];
    const [flippedKey, flippedValue] = records[7] as [Buffer, Buffer];
    const flipped = Buffer.from(flippedValue);
    flipped[flipped.length - 5] = (flipped[flipped.length - 5] as number) ^ 0xff;
    const validValue = (records[0] as [Buffer, Buffer])[1];
    await queue.batch([
      { type: 'put', key: truncatedKey, value: truncatedValue.subarray(0, truncatedValue.length >> 1) },
      { type: 'put', key: flippedKey, value: flipped },
      {
        type: 'put',
        key: encodeMessageKey('task', 'high', 999),
        value: Buffer.from('garbage, not a record'),
      },
      { type: 'put', key: Buffer.from('bad'), value: validValue },
      { type: 'put', key: Buffer.from([0x09, 0x00, 0, 0, 0, 0, 0, 0, 0, 1]), value: validValue },
    ]);
    await raw.close();

    const second = await fx.open({ path });
    expect(second.quarantined).toBe(5);
    expect(second.recovery.recovered).toBe(8);
    const reasons = second.recovery.quarantineReasons.map((r) => r.reason).join('\n');
    expect(reasons).toMatch(/bad key: key of 3 bytes/);
    expect(reasons).toMatch(/bad key: unknown route index 9/);
    expect(reasons).toMatch(/checksum mismatch/);
    expect(fx.reports.at(-1)).toMatch(/5 unreadable record\(s\) moved to the 'quarantine' sublevel/);
    const tags = (await drainAll(second)).map(tagOf);
    const lost = new Set([truncatedKey, flippedKey].map((k) => k.toString('hex')));
    const expected = records.filter(([k]) => !lost.has(k.toString('hex'))).length;
    expect(tags).toHaveLength(expected);
    expect(second.depth('task')).toBe(0);
    await second.close();

    // Moved, not deleted: the quarantine keeps the original bytes, and the next open finds nothing new.
    const raw2 = rawDb(path);
    const quarantine = raw2.sublevel<Buffer, Buffer>(DURABLE_SUBLEVELS.quarantine, {
      keyEncoding: 'buffer',
      valueEncoding: 'buffer',
    });
    const kept: Buffer[] = [];
    for await (const [, value] of quarantine.iterator()) kept.push(value);
    await raw2.close();
    expect(kept).toHaveLength(5);
    expect(kept.some((v) => v.includes(Buffer.from('garbage, not a record')))).toBe(true);
    const third = await fx.open({ path });
    expect(third.quarantined).toBe(0);
    expect(third.recovery.recovered).toBe(0);
  });
});

describe('DurableLocalQueueManager with a damaged database', () => {
  it('repairs a database LevelDB reports as corrupt and recovers its messages', async () => {
    const path = await fx.dir();
    const first = await fx.open({ path });
    for (let i = 0; i < 12; i++) await first.publish('request', tagged(`m${i}`, priorityOf(i)));
    await first.close();
    const manifest = (await readdir(path)).find((f) => f.startsWith('MANIFEST-'));
    expect(manifest).toBeDefined();
    await writeFile(join(path, manifest as string), Buffer.alloc(200, 7));

    const second = await fx.open({ path });
    expect(fx.reports.join('\n')).toMatch(/LevelDB reports corruption .*; repairing/);
    expect(second.recovery.recovered).toBe(12);
    const tags = (await drainAll(second)).map(tagOf);
    expect([...tags].sort()).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`).sort());
  });

  it('repairs table blocks that fail when read at open without crashing, and delivers what it salvaged', async () => {
    const path = await fx.dir();
    const first = await fx.open({ path, capacity: 10_000 });
    const total = 1500;
    await Promise.all(Array.from({ length: total }, (_, i) => first.publish('request', tagged(`m${i}`))));
    await first.close();
    // Reopening turns the log into a table file; damage bytes across its middle third.
    await (await fx.open({ path })).close();
    const table = (await readdir(path)).find((f) => f.endsWith('.ldb'));
    expect(table).toBeDefined();
    const bytes = await readFile(join(path, table as string));
    for (let i = Math.floor(bytes.length / 3); i < Math.floor((bytes.length * 2) / 3); i += 97) {
      bytes[i] = (bytes[i] as number) ^ 0xff;
    }
    await writeFile(join(path, table as string), bytes);

    // RepairDB may salvage the table or give up (it can abort on keys it finds out of order): either way this
    // process lives on, and an open either succeeds with what was salvaged or says why it cannot.
    let q: Awaited<ReturnType<DurableFixture['open']>>;
    try {
      q = await fx.open({ path });
    } catch (err) {
      expect((err as Error).message).toMatch(
        new RegExp(`^durable queue at ${path}: (corrupt and not repairable|still unreadable after repair)`),
      );
      return;
    }
    expect(fx.reports.join('\n')).toMatch(/LevelDB reports corruption while recovering .*; repairing/);
    const indexes = (await drainAll(q)).map((m) => indexOf(tagOf(m)));
    expect(indexes.length).toBe(q.recovery.recovered);
    expect(indexes.length).toBeLessThan(total);
    // A block LevelDB decoded without noticing the damage is caught by the record checksums instead.
    expect(q.recovery.quarantineReasons.every((r) => /checksum mismatch|bad key/.test(r.reason))).toBe(true);
    expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
    expect(new Set(indexes).size).toBe(indexes.length);
  });

  it('names the directory when another holder has the database open', async () => {
    const path = await fx.dir();
    await fx.open({ path });
    await expect(fx.open({ path })).rejects.toThrow(`durable queue at ${path}: cannot open`);
  });
});

function rank(priority: Priority): number {
  return priority === 'high' ? 0 : priority === 'normal' ? 1 : 2;
}

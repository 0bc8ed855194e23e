import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Admin } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  KafkaDeadLetterStore,
  KafkaQueueManager,
  routeGroupId,
  routeTopic,
  type KafkaQueueManagerOptions,
} from '../../src/queue/kafka/index.js';
import {
  createQueueCodec,
  type DeadLetterEnvelope,
  type PipelineEnvelope,
  type Priority,
  type QueueMessage,
  type RequestDispatchEnvelope,
} from '../../src/queue/index.js';
import { createQueueManager } from '../../src/queue/queue-manager.factory.js';
import { loadConfig } from '../../src/config/config.loader.js';
import { ALL_ENVELOPES, requestEnvelope, routing } from '../queue/envelope.fixtures.js';
import { planKafkaBroker } from './kafka-test-broker.js';

const plan = planKafkaBroker();

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await sleep(25);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

function tagged(tag: string, priority: Priority = 'normal'): RequestDispatchEnvelope {
  const env = requestEnvelope({ id: tag });
  env.routing = routing({ priority, requestId: tag });
  return env;
}

const tagOf = (msg: QueueMessage<PipelineEnvelope>): string => msg.envelope.routing.requestId ?? '?';

describe.runIf(plan.run)('KafkaQueueManager against a real Kafka 4 broker', () => {
  let brokers: string[] = [];
  let stopBroker: () => Promise<void> = async () => undefined;
  let admin: Admin;
  const managers: KafkaQueueManager[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    const broker = await plan.start();
    brokers = broker.brokers;
    stopBroker = broker.stop;
    admin = rawKafka().admin();
    await admin.connect();
  }, 120_000);

  afterAll(async () => {
    await admin?.disconnect();
    await stopBroker();
  }, 30_000);

  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close().catch(() => undefined)));
    // Errors the managers could not report to a caller: none are expected in these scenarios.
    expect(errors.splice(0)).toEqual([]);
  }, 30_000);

  function rawKafka(): Kafka {
    return new Kafka({ clientId: 'mocra-test-raw', brokers, logLevel: logLevel.NOTHING });
  }

  function options(
    namespace: string,
    overrides: Partial<KafkaQueueManagerOptions> = {},
  ): KafkaQueueManagerOptions {
    return {
      namespace,
      brokers,
      clientId: `test-${namespace}`,
      capacity: 1000,
      nackMaxRetries: 0,
      nackBackoffMs: 0,
      partitions: 2,
      commitIntervalMs: 20,
      maxWaitMs: 100,
      onError: (err, context) =>
        errors.push(`${context}: ${err instanceof Error ? err.message : String(err)}`),
      ...overrides,
    };
  }

  async function manager(
    namespace: string,
    overrides: Partial<KafkaQueueManagerOptions> = {},
  ): Promise<KafkaQueueManager> {
    const m = await KafkaQueueManager.create(options(namespace, overrides));
    managers.push(m);
    return m;
  }

  const ns = (): string => `t${randomUUID().slice(0, 8)}`;

  async function committed(namespace: string, topic: string): Promise<number> {
    const [entry] = await admin.fetchOffsets({
      groupId: routeGroupId(namespace, 'request'),
      topics: [topic],
    });
    return (entry?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  }

  it('kafkajs 2.2.4 works against the broker: topics with configs, produce, group consume, commit, offsets', async () => {
    const topic = `compat-${randomUUID().slice(0, 8)}`;
    expect(
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '7200000' }] }],
      }),
    ).toBe(true);
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: topic, configNames: ['retention.ms'] }],
    });
    expect(
      described.resources[0]?.configEntries.find((c) => c.configName === 'retention.ms')?.configValue,
    ).toBe('7200000');

    const kafka = rawKafka();
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 6 }, (_, i) => ({
        key: `k${i}`,
        value: `v${i}`,
        headers: { n: String(i) },
      })),
    });
    const ends = await admin.fetchTopicOffsets(topic);
    expect(ends.reduce((sum, p) => sum + Number(p.high), 0)).toBe(6);

    const groupId = `compat-group-${randomUUID().slice(0, 8)}`;
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        seen.push(`${message.value?.toString()}/${message.headers?.['n']?.toString()}`);
        await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
      },
    });
    await until(() => seen.length === 6, 'six records consumed');
    await consumer.disconnect();
    await producer.disconnect();
    expect(seen.sort()).toEqual(['v0/0', 'v1/1', 'v2/2', 'v3/3', 'v4/4', 'v5/5']);
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(offsets?.partitions.reduce((sum, p) => sum + Number(p.offset), 0)).toBe(6);
    const groups = await admin.describeGroups([groupId]);
    expect(groups.groups[0]?.state).toBe('Empty');
    await admin.deleteTopics({ topics: [topic] });
  });

  it('creates route topics with minid_time retention and a compacted DLQ topic; depth counts the backlog', async () => {
    const namespace = ns();
    const m = await manager(namespace, { retentionHours: 3, partitions: 3 });
    const topics = await admin.listTopics();
    expect(topics).toEqual(
      expect.arrayContaining([routeTopic(namespace, 'parser_task', 'low'), `${namespace}-dlq`]),
    );
    const meta = await admin.fetchTopicMetadata({ topics: [routeTopic(namespace, 'request', 'high')] });
    expect(meta.topics[0]?.partitions).toHaveLength(3);
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: 2, name: routeTopic(namespace, 'request', 'high'), configNames: ['retention.ms'] },
        { type: 2, name: `${namespace}-dlq`, configNames: ['cleanup.policy'] },
      ],
    });
    const value = (i: number, name: string): string | undefined =>
      described.resources[i]?.configEntries.find((c) => c.configName === name)?.configValue;
    expect(value(0, 'retention.ms')).toBe(String(3 * 3_600_000));
    expect(value(1, 'cleanup.policy')).toBe('compact');

    // A second manager on the same namespace finds the topics and starts without error.
    await manager(namespace);

    for (let i = 0; i < 7; i++) await m.publish('request', tagged(`d${i}`, 'low'));
    await until(() => m.depth('request', 'low') === 7, 'depth to show the 7 unconsumed records');
    expect(m.depth('request', 'high')).toBe(0);
    expect(m.depth()).toBe(7);
  });

  for (const codec of ['msgpack', 'json'] as const) {
    it(`round-trips every envelope type through the broker with the ${codec} codec`, async () => {
      const namespace = ns();
      const a = await manager(namespace, { codec });
      const received = new Map<string, PipelineEnvelope>();
      const sub = a.subscribe('response', async (msg) => void received.set(msg.envelope.kind, msg.envelope), {
        concurrency: 4,
      });
      const pipeline = ALL_ENVELOPES.filter(([kind]) => kind !== 'dead_letter');
      await Promise.all(pipeline.map(([, make]) => a.publish('response', make() as PipelineEnvelope)));
      await sub.ready();
      await until(() => received.size === pipeline.length, 'every pipeline envelope delivered');
      for (const [kind, make] of pipeline) expect(received.get(kind), kind).toEqual(make());

      // Dead letters travel through the DLQ topic: written by one process, read back by another's index.
      const dl = ALL_ENVELOPES.find(([kind]) => kind === 'dead_letter')?.[1]() as DeadLetterEnvelope;
      await a.dlq.add(dl);
      const b = await manager(namespace, { codec });
      expect(await b.dlq.get(dl.id)).toEqual(dl);
      // The bytes on the topic are the configured codec's encoding.
      const raw = await readTopic(`${namespace}-dlq`, 1);
      expect(createQueueCodec(codec).decode(raw[0] as Buffer)).toEqual(dl);
    });
  }

  async function readTopic(topic: string, count: number): Promise<Buffer[]> {
    const consumer = rawKafka().consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
    const out: Buffer[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => void (message.value && out.push(message.value)),
    });
    await until(() => out.length >= count, `${count} records on ${topic}`);
    await consumer.disconnect();
    return out;
  }

  it('is what createQueueManager builds for [channel_config.kafka], and it delivers', async () => {
    const namespace = ns();
    const q = await createQueueManager(
      loadConfig({ name: namespace, channel_config: { kafka: { brokers, client_id: `test-${namespace}` } } }),
    );
    try {
      if (!(q instanceof KafkaQueueManager)) {
        throw new Error(`expected the Kafka backend, got "${q.backend}"`);
      }
      const seen: string[] = [];
      await q.publish('request', tagged('via-config'));
      const sub = q.subscribe('request', async (msg) => void seen.push(tagOf(msg)), { concurrency: 1 });
      await sub.ready();
      await until(() => seen.length === 1, 'the record published through the config-built manager');
      expect(seen).toEqual(['via-config']);
    } finally {
      await q.close();
    }
  });

  it('delivers high before normal before low', async () => {
    const namespace = ns();
    const m = await manager(namespace);
    const order: string[] = [];
    for (const priority of ['low', 'normal', 'high'] as const) {
      for (let i = 0; i < 8; i++) await m.publish('request', tagged(`${priority}-${i}`, priority));
    }
    // One slot, so the order of delivery is the order of handling.
    const sub = m.subscribe('request', async (msg) => void order.push(tagOf(msg).split('-')[0] ?? '?'), {
      concurrency: 1,
    });
    await sub.ready();
    await until(() => order.length === 24, 'all 24 delivered');
    expect(order).toEqual([...Array(8).fill('high'), ...Array(8).fill('normal'), ...Array(8).fill('low')]);
  });

  it('commits only what handlers acked: a crashed consumer’s unacked records go to the next one', async () => {
    const namespace = ns();
    const a = await manager(namespace, { partitions: 1 });
    const held = new Map<string, Deferred>();
    const subA = a.subscribe(
      'request',
      (msg) => {
        const d = deferred();
        held.set(tagOf(msg), d);
        return d.promise;
      },
      { concurrency: 10 },
    );
    await subA.ready();
    for (let i = 1; i <= 5; i++) await a.publish('request', tagged(`m${i}`, 'normal'));
    await until(() => held.size === 5, 'all five in flight on A');
    const topic = routeTopic(namespace, 'request', 'normal');
    expect(await committed(namespace, topic)).toBe(0);

    // Out of order: m3 first, then m1. The commit point may pass m1 but must stop at m2, which is still unacked.
    held.get('m3')?.resolve();
    await sleep(150);
    expect(await committed(namespace, topic)).toBe(0);
    held.get('m1')?.resolve();
    await until(async () => (await committed(namespace, topic)) === 1, 'commit point at m2');

    await a.crash();
    const b = await manager(namespace, { partitions: 1 });
    const redelivered: string[] = [];
    const subB = b.subscribe('request', async (msg) => void redelivered.push(tagOf(msg)), {
      concurrency: 10,
    });
    await subB.ready();
    await until(() => redelivered.length >= 4, 'the unacked records on B');
    await sleep(300);
    // m2, m4 and m5 were never acked; m3 was, but lies past the commit point, so at-least-once replays it.
    expect(redelivered.sort()).toEqual(['m2', 'm3', 'm4', 'm5']);
    await until(async () => (await committed(namespace, topic)) === 5, 'B commits everything');
  });

  it('shares a route between two processes through the group, across the rebalance, without losing a record', async () => {
    const namespace = ns();
    const a = await manager(namespace, { partitions: 4 });
    const b = await manager(namespace, { partitions: 4 });
    const byA = new Set<string>();
    const byB = new Set<string>();
    const handler = (into: Set<string>) => async (msg: QueueMessage<PipelineEnvelope>) => {
      into.add(tagOf(msg));
      await sleep(3);
    };
    await a.subscribe('request', handler(byA), { concurrency: 4 }).ready();
    await Promise.all(Array.from({ length: 100 }, (_, i) => a.publish('request', tagged(`s${i}`))));
    await until(() => byA.size >= 20, 'A to be working');
    // B joins mid-stream: the group rebalances and the partitions are split between the two.
    await b.subscribe('request', handler(byB), { concurrency: 4 }).ready();
    await Promise.all(Array.from({ length: 100 }, (_, i) => b.publish('request', tagged(`s${100 + i}`))));
    await until(() => new Set([...byA, ...byB]).size === 200, 'all 200 records handled', 60_000);
    expect(byB.size).toBeGreaterThan(0);
    await Promise.all([a.onIdle(), b.onIdle()]);
    expect(a.depth('request')).toBe(0);
  });

  it('nacks retry with attempt+1 after the backoff, then dead-letter to {namespace}-dlq', async () => {
    const namespace = ns();
    const m = await manager(namespace, { nackMaxRetries: 2, nackBackoffMs: 100 });
    const attempts: Array<{ id: string; attempt: number; at: number }> = [];
    m.subscribe(
      'response',
      async (msg) => {
        attempts.push({ id: msg.id, attempt: msg.attempt, at: Date.now() });
        throw Object.assign(new Error('parser exploded'), { kind: 'Parser' });
      },
      { concurrency: 2 },
    );
    const env = tagged('bad', 'low');
    await m.publish('response', env);
    await until(async () => (await m.dlq.count()) === 1, 'the dead letter');
    expect(attempts.map((a) => a.attempt)).toEqual([0, 1, 2]);
    expect(new Set(attempts.map((a) => a.id)).size).toBe(1);
    for (let i = 1; i < attempts.length; i++) {
      expect((attempts[i]?.at ?? 0) - (attempts[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(90);
    }
    const { items } = await m.dlq.list();
    expect(items[0]).toMatchObject({
      kind: 'dead_letter',
      namespace,
      sourceRoute: 'response',
      sourcePriority: 'low',
      reason: 'parser exploded',
      errorKind: 'Parser',
      attempt: 3,
      module: 'shop',
      payload: env,
    });
    const onTopic = await readTopic(`${namespace}-dlq`, 1);
    expect(createQueueCodec('msgpack').decode(onTopic[0] as Buffer)).toMatchObject({ kind: 'dead_letter' });
    await m.onIdle();
    expect(attempts).toHaveLength(3);
  });

  it('keeps the DLQ index in agreement across processes: list, requeue, delete, purge', async () => {
    const namespace = ns();
    const a = await manager(namespace);
    const b = await manager(namespace);
    const msg = (tag: string, route: 'request' | 'response'): QueueMessage => ({
      id: tag,
      route,
      priority: 'high',
      envelope: tagged(tag, 'high'),
      attempt: 2,
      enqueuedAtMs: 0,
    });
    const d1 = await a.deadLetter(msg('x1', 'request'), {
      reason: 'timeout',
      errorKind: 'Download',
      attempt: 3,
    });
    const d2 = await a.deadLetter(msg('x2', 'response'), {
      reason: 'bad html',
      errorKind: 'Parser',
      attempt: 1,
    });
    const d3 = await b.deadLetter(msg('x3', 'response'), {
      reason: 'bad json',
      errorKind: 'Parser',
      attempt: 1,
    });

    await until(async () => (await a.dlq.count()) === 3 && (await b.dlq.count()) === 3, 'both indexes at 3');
    expect((await b.dlq.list({ route: 'response' })).items.map((d) => d.id).sort()).toEqual(
      [d2.id, d3.id].sort(),
    );
    expect(await b.dlq.get(d1.id)).toEqual(d1);

    // Requeue on B goes back to the source route and priority with attempt 0, and is gone from A's index too.
    const got: Array<QueueMessage<PipelineEnvelope>> = [];
    const sub = a.subscribe('request', async (m) => void got.push(m), { concurrency: 1 });
    await sub.ready();
    expect(await b.requeueDeadLetter(d1.id)).toBe(true);
    expect(await b.requeueDeadLetter(d1.id)).toBe(false);
    expect(await b.requeueDeadLetter('no-such-id')).toBe(false);
    await until(() => got.length === 1, 'the requeued message');
    expect(got[0]).toMatchObject({ route: 'request', priority: 'high', attempt: 0, envelope: d1.payload });
    await until(async () => (await a.dlq.get(d1.id)) === undefined, 'A to see the requeue tombstone');

    expect(await a.dlq.remove(d2.id)).toBe(true);
    expect(await a.dlq.remove(d2.id)).toBe(false);
    await until(async () => (await b.dlq.count()) === 1, 'B to see the delete');

    // A process started now replays adds and tombstones to the same index.
    const c = await manager(namespace);
    expect((await c.dlq.list()).items.map((d) => d.id)).toEqual([d3.id]);

    expect(await b.dlq.purge({ reason: 'bad' })).toBe(1);
    await until(
      async () => (await a.dlq.count()) === 0 && (await c.dlq.count()) === 0,
      'purge seen everywhere',
    );

    // A standalone store (another process's API) agrees as well.
    const store = new KafkaDeadLetterStore({
      kafka: rawKafka(),
      namespace,
      codec: createQueueCodec('msgpack'),
    });
    await store.start();
    expect(await store.count()).toBe(0);
    await store.close();
  });

  it('backpressure: holds fetching at the buffer limit, loses nothing, pause() stops delivery', async () => {
    const namespace = ns();
    // Fetches of about three records, so the buffer's bound (limit + one fetch response) is tight here.
    const size = createQueueCodec('msgpack').encode(tagged('b000')).byteLength + 80;
    const m = await manager(namespace, {
      bufferLimit: 8,
      partitions: 2,
      fetchMaxBytes: 3 * size,
      fetchMaxBytesPerPartition: 3 * size,
    });
    const total = 150;
    const producer = await manager(namespace);
    // One by one, so every record is its own record batch.
    for (let i = 0; i < total; i++) await producer.publish('request', tagged(`b${i}`));

    const seen = new Map<string, number>();
    let maxBuffered = 0;
    let maxInflight = 0;
    let running = 0;
    const sub = m.subscribe(
      'request',
      async (msg) => {
        running++;
        maxInflight = Math.max(maxInflight, running);
        maxBuffered = Math.max(maxBuffered, m.buffered('request'));
        seen.set(tagOf(msg), (seen.get(tagOf(msg)) ?? 0) + 1);
        await sleep(15); // slower than fetching, so only backpressure keeps the buffer small
        running--;
      },
      { concurrency: 3 },
    );
    const sampler = setInterval(() => (maxBuffered = Math.max(maxBuffered, m.buffered('request'))), 2);
    await sub.ready();
    await until(() => seen.size >= 50, 'a third delivered', 60_000);

    m.pause();
    await sleep(100); // in-flight handlers finish
    const atPause = seen.size;
    await sleep(400);
    expect(seen.size).toBe(atPause);
    expect(m.buffered('request')).toBeLessThanOrEqual(8 + 3);
    m.resume();

    await until(() => seen.size === total, 'every record delivered', 60_000);
    clearInterval(sampler);
    await m.onIdle();
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(maxInflight).toBeLessThanOrEqual(3);
    expect(maxBuffered).toBeLessThanOrEqual(8 + 3);
    expect(maxBuffered).toBeGreaterThanOrEqual(4); // the buffer did fill, so fetching had to wait
    expect(m.depth('request')).toBe(0);
  });
});

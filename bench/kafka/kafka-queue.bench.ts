import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { MsgpackQueueCodec } from '../../libs/mocra/src/queue/codec/msgpack.codec.js';
import type { RequestDispatchEnvelope } from '../../libs/mocra/src/queue/envelope.js';
import { KafkaQueueManager, routeTopic } from '../../libs/mocra/src/queue/kafka/index.js';
import { measureKafkaCrawl, startBenchSite, type KafkaCrawlResult } from './kafka-crawl-workers.js';

type BrokerScript = typeof import('../../scripts/kafka/kafka-broker.mjs');

/**
 * `npm run bench:kafka`: produce + consume N request envelopes through KafkaQueueManager, and the same encoded bytes
 * through raw kafkajs (idempotent producer, acks=-1, one consumer group), against one broker in one run. Both sides
 * consume while producing; msgs/s = N / (first publish → last delivery). The contenders alternate for
 * BENCH_KAFKA_ROUNDS rounds (default 2) and each one's best round is reported, which damps a busy machine's noise.
 *
 * Then the crawl through Kafka: one ingress-only driver process and 1, then 2, download/parse/store worker processes
 * crawl BENCH_KAFKA_PRODUCTS products of a catalog site process; pages/s = pages / (dispatch → run complete). The
 * rows are appended to bench/RESULTS.md.
 *
 *   BENCH_KAFKA_MESSAGES (default 20000), BENCH_KAFKA_PARTITIONS (4), BENCH_KAFKA_CONCURRENCY (64),
 *   BENCH_KAFKA_PRODUCTS (5000; 0 skips the crawl rows), BENCH_KAFKA_WORKERS (default "1,2"),
 *   MOCRA_KAFKA_BROKERS=host:port to use a running broker instead of starting one.
 */
const total = Number(process.env['BENCH_KAFKA_MESSAGES'] ?? 20_000);
const partitions = Number(process.env['BENCH_KAFKA_PARTITIONS'] ?? 4);
const concurrency = Number(process.env['BENCH_KAFKA_CONCURRENCY'] ?? 64);
const rounds = Number(process.env['BENCH_KAFKA_ROUNDS'] ?? 2);
const warmup = Math.min(2_000, Math.max(100, Math.floor(total / 10)));
const crawlProducts = Number(process.env['BENCH_KAFKA_PRODUCTS'] ?? 5_000);
const crawlWorkers = (process.env['BENCH_KAFKA_WORKERS'] ?? '1,2').split(',').map((s) => Number(s.trim()));
for (const [name, value] of [
  ['BENCH_KAFKA_PRODUCTS', crawlProducts],
  ...crawlWorkers.map((w) => ['BENCH_KAFKA_WORKERS', w] as const),
] as const) {
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must hold non-negative integers, got ${JSON.stringify(process.env[name])}`);
  }
}

/** The repo root holds scripts/kafka; this file runs from bench/kafka (sources) or dist/bench/kafka (built). */
async function brokerScript(): Promise<BrokerScript> {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'scripts', 'kafka', 'kafka-broker.mjs');
    if (existsSync(candidate)) return (await import(pathToFileURL(candidate).href)) as BrokerScript;
    dir = dirname(dir);
  }
  throw new Error('kafka bench: scripts/kafka/kafka-broker.mjs not found above this file');
}

function envelope(i: number): RequestDispatchEnvelope {
  const id = `bench-${i}`;
  return {
    kind: 'request',
    routing: {
      namespace: 'bench',
      account: 'acc',
      platform: 'web',
      module: 'catalog',
      nodeKey: 'product',
      runId: 'run-1',
      requestId: id,
      priority: 'normal',
    },
    exec: { retryCount: 0, taskRetryCount: 0, profileVersion: 1, createdAtMs: 1, updatedAtMs: 1 },
    request: {
      id,
      url: `http://127.0.0.1:8080/product/${i}`,
      method: 'GET',
      headers: { accept: 'text/html', 'user-agent': 'mocra-bench' },
      params: [],
      cookies: {},
      meta: { depth: 2, list: Math.floor(i / 20) },
    },
  };
}

async function rawKafkajs(brokers: string[], values: Buffer[]): Promise<number> {
  const kafka = new Kafka({ clientId: 'bench-raw', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench-raw-${randomUUID().slice(0, 8)}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  for (let tries = 0; ; tries++) {
    try {
      await admin.fetchTopicOffsets(topic);
      break;
    } catch (err) {
      if (tries > 100) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await admin.disconnect();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: `${topic}-group`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let consumed = 0;
  let target = 0;
  let done: () => void = () => undefined;
  await consumer.run({
    autoCommit: true,
    eachBatch: async ({ batch }) => {
      consumed += batch.messages.length;
      if (consumed >= target) done();
    },
  });
  const round = async (slice: Buffer[]): Promise<number> => {
    target = consumed + slice.length;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const started = performance.now();
    for (let i = 0; i < slice.length; i += 1000) {
      await producer.send({
        topic,
        acks: -1,
        messages: slice.slice(i, i + 1000).map((value) => ({ value })),
      });
    }
    await finished;
    return performance.now() - started;
  };
  await round(values.slice(0, warmup));
  const ms = await round(values);
  await consumer.disconnect();
  await producer.disconnect();
  return ms;
}

async function mocraQueue(brokers: string[], envelopes: RequestDispatchEnvelope[]): Promise<number> {
  const namespace = `bench${randomUUID().slice(0, 8)}`;
  const queue = await KafkaQueueManager.create({
    namespace,
    brokers,
    clientId: 'bench-mocra',
    capacity: 10_000,
    nackMaxRetries: 0,
    nackBackoffMs: 0,
    partitions,
  });
  let consumed = 0;
  let target = 0;
  let done: () => void = () => undefined;
  const sub = queue.subscribe(
    'request',
    async () => {
      if (++consumed >= target) done();
    },
    { concurrency },
  );
  await sub.ready();
  const round = async (slice: RequestDispatchEnvelope[]): Promise<number> => {
    target = consumed + slice.length;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const started = performance.now();
    await Promise.all(slice.map((env) => queue.publish('request', env)));
    await finished;
    return performance.now() - started;
  };
  await round(envelopes.slice(0, warmup));
  const ms = await round(envelopes);
  await queue.close();
  return ms;
}

async function main(): Promise<void> {
  const script = await brokerScript();
  const external = process.env['MOCRA_KAFKA_BROKERS'];
  const broker =
    external !== undefined && external !== ''
      ? { brokers: external.split(','), stop: async () => undefined }
      : await script.startKafka();
  try {
    const envelopes = Array.from({ length: total }, (_, i) => envelope(i));
    // Same bytes on both sides: the manager's default codec.
    const codec = new MsgpackQueueCodec();
    const values = envelopes.map((env) => Buffer.from(codec.encode(env)));
    const avgBytes = Math.round(values.reduce((n, v) => n + v.length, 0) / values.length);
    console.log(
      `kafka queue bench: ${total} request envelopes (~${avgBytes} B msgpack), ${partitions} partitions, ` +
        `broker ${broker.brokers.join(',')} (Kafka ${script.KAFKA_VERSION}); topic ${routeTopic('<ns>', 'request', 'normal')}`,
    );
    let rawMs = Infinity;
    let mocraMs = Infinity;
    for (let r = 0; r < rounds; r++) {
      rawMs = Math.min(rawMs, await rawKafkajs(broker.brokers, values));
      mocraMs = Math.min(mocraMs, await mocraQueue(broker.brokers, envelopes));
    }
    const rawRate = (total / rawMs) * 1000;
    const mocraRate = (total / mocraMs) * 1000;
    const row = (name: string, ms: number, rate: number): string =>
      `${name.padEnd(34)} ${(ms / 1000).toFixed(2).padStart(8)} s ${Math.round(rate).toString().padStart(9)} msgs/s`;
    console.log(row('raw kafkajs (produce+consume)', rawMs, rawRate));
    console.log(row('KafkaQueueManager (publish+handle)', mocraMs, mocraRate));
    console.log(`ratio KafkaQueueManager / raw kafkajs: ${(mocraRate / rawRate).toFixed(2)}`);
    console.log(
      `BENCH_KAFKA ${JSON.stringify({ total, partitions, concurrency, rounds, rawMsgsPerSec: Math.round(rawRate), mocraMsgsPerSec: Math.round(mocraRate) })}`,
    );
    const crawls: KafkaCrawlResult[] = [];
    if (crawlProducts > 0) {
      const site = await startBenchSite(crawlProducts);
      try {
        for (const workers of crawlWorkers.filter((w) => w > 0)) {
          const r = await measureKafkaCrawl(broker.brokers, site.url, crawlProducts, workers, concurrency);
          crawls.push(r);
          console.log(
            `${`crawl, ${workers} worker process${workers === 1 ? '' : 'es'}`.padEnd(34)} ${(r.wallMs / 1000).toFixed(2).padStart(8)} s ` +
              `${Math.round(r.pagesPerSec).toString().padStart(9)} pages/s (${r.pages} pages, ${r.items} items)`,
          );
        }
      } finally {
        await site.stop();
      }
      console.log(`BENCH_KAFKA_CRAWL ${JSON.stringify(crawls)}`);
    }
    appendResults(rawRate, mocraRate, crawls, script.KAFKA_VERSION);
  } finally {
    await broker.stop();
  }
}

/** Appends this run to bench/RESULTS.md (found above this file, as the broker script is). */
function appendResults(
  rawRate: number,
  mocraRate: number,
  crawls: KafkaCrawlResult[],
  kafkaVersion: string,
): void {
  let dir = dirname(fileURLToPath(import.meta.url));
  let results: string | undefined;
  for (let i = 0; i < 8 && results === undefined; i++) {
    const candidate = join(dir, 'bench', 'RESULTS.md');
    if (existsSync(candidate)) results = candidate;
    dir = dirname(dir);
  }
  if (results === undefined) return;
  const date = new Date().toISOString().slice(0, 10);
  const rows = [
    `| raw kafkajs produce+consume | ${Math.round(rawRate)} msgs/s | 1.00 |`,
    `| KafkaQueueManager publish+handle | ${Math.round(mocraRate)} msgs/s | ${(mocraRate / rawRate).toFixed(2)} |`,
    ...crawls.map(
      (c) =>
        `| crawl, ${c.workers} worker process${c.workers === 1 ? '' : 'es'} + driver (${c.products} products, ${c.pages} pages) | ${Math.round(c.pagesPerSec)} pages/s | ${crawls[0] ? (c.pagesPerSec / crawls[0].pagesPerSec).toFixed(2) : '-'} (to 1 worker) |`,
    ),
  ];
  appendFileSync(
    results,
    [
      '',
      `## ${date} — \`npm run bench:kafka\` (Kafka ${kafkaVersion}, ${total} envelopes, ${partitions} partitions, ` +
        `concurrency ${concurrency}; ${cpus().length} cores, Node ${process.version})`,
      '',
      '| contender | rate | ratio |',
      '|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

import { randomUUID } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { QueueCodec } from '../codec/queue-codec.js';
import type {
  DeadLetterFilter,
  DeadLetterListQuery,
  DeadLetterPage,
  DeadLetterStore,
} from '../dlq/dead-letter.store.js';
import { MemoryDeadLetterStore } from '../dlq/memory-dead-letter.store.js';
import type { DeadLetterEnvelope } from '../envelope.js';
import { deadLetterTopic } from './kafka-topics.js';

export interface KafkaDeadLetterStoreOptions {
  kafka: Kafka;
  namespace: string;
  codec: QueueCodec;
  /** A connected producer to share (the queue manager's); without one the store connects its own. */
  producer?: Producer;
  /** Longest wait for the store's own consumer to read back a write before the write is reported as failed. */
  applyTimeoutMs?: number;
  maxWaitMs?: number;
  onError?: (err: unknown, context: string) => void;
}

interface Waiter {
  offset: number;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Dead letters kept in the compacted `{namespace}-dlq` topic: a record keyed by the dead letter's id adds it, a
 * tombstone (same key, null value) removes it. Every process reads the whole topic (its own throwaway consumer group,
 * nothing committed) into an in-memory index, so list/get/count answer locally and agree across processes once each
 * has read up to the same offset.
 *
 * The index only changes in log order: a write resolves after this store's consumer has read it back, so a caller
 * sees its own writes, and an add and a remove of one id can never be applied out of order.
 */
export class KafkaDeadLetterStore implements DeadLetterStore {
  readonly topic: string;
  private readonly index = new MemoryDeadLetterStore();
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly ownProducer: boolean;
  private readonly applyTimeoutMs: number;
  private readonly onError: (err: unknown, context: string) => void;
  /** Next offset to read, per partition. */
  private readonly applied = new Map<number, number>();
  private readonly waiters = new Map<number, Waiter[]>();
  /** Ids whose removal this process is writing, so concurrent removes (requeues) of one id succeed once. */
  private readonly removing = new Set<string>();
  private started: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: KafkaDeadLetterStoreOptions) {
    this.topic = deadLetterTopic(options.namespace);
    this.applyTimeoutMs = options.applyTimeoutMs ?? 30_000;
    this.onError =
      options.onError ??
      ((err, context) => console.error(`[mocra] kafka dlq (${options.namespace}): ${context}:`, err));
    this.ownProducer = options.producer === undefined;
    this.producer = options.producer ?? options.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.consumer = options.kafka.consumer({
      // A group of its own: every process must read every partition, and nothing is ever committed.
      groupId: `${options.namespace}-dlq-index-${randomUUID()}`,
      maxWaitTimeInMs: options.maxWaitMs ?? 100,
      allowAutoTopicCreation: false,
    });
  }

  /** Connects and reads the topic up to its end as of now. The topic must exist (the queue manager creates it). */
  start(): Promise<void> {
    this.started ??= this.startOnce();
    return this.started;
  }

  private async startOnce(): Promise<void> {
    if (this.ownProducer) await this.producer.connect();
    const admin = this.options.kafka.admin();
    await admin.connect();
    let ends: Array<{ partition: number; high: string }>;
    try {
      ends = await admin.fetchTopicOffsets(this.topic);
    } finally {
      await admin.disconnect();
    }
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await this.consumer.run({ autoCommit: false, eachBatch: async (payload) => this.apply(payload) });
    await Promise.all(ends.map(({ partition, high }) => this.waitApplied(partition, Number(high) - 1)));
  }

  async add(dl: DeadLetterEnvelope): Promise<void> {
    await this.write(dl.id, Buffer.from(this.options.codec.encode(dl)));
  }

  get(id: string): Promise<DeadLetterEnvelope | undefined> {
    return this.index.get(id);
  }

  list(query?: DeadLetterListQuery): Promise<DeadLetterPage> {
    return this.index.list(query);
  }

  count(): Promise<number> {
    return this.index.count();
  }

  async remove(id: string): Promise<boolean> {
    if (this.removing.has(id) || (await this.index.get(id)) === undefined) return false;
    this.removing.add(id);
    try {
      await this.write(id, null);
    } finally {
      this.removing.delete(id);
    }
    return true;
  }

  async purge(filter: DeadLetterFilter = {}): Promise<number> {
    const { items } = await this.index.list(filter);
    const ids = items.map((dl) => dl.id).filter((id) => !this.removing.has(id));
    if (ids.length === 0) return 0;
    for (const id of ids) this.removing.add(id);
    try {
      const sent = await this.producer.send({
        topic: this.topic,
        acks: -1,
        messages: ids.map((id) => ({ key: id, value: null })),
      });
      // One produce request = one record batch per partition, and a fetched record batch is applied whole, so
      // reading back each batch's first offset means all its tombstones are in the index.
      await Promise.all(sent.map((r) => this.waitApplied(r.partition, Number(r.baseOffset))));
    } finally {
      for (const id of ids) this.removing.delete(id);
    }
    return ids.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.started?.catch(() => undefined);
    await this.consumer.disconnect().catch((err: unknown) => this.onError(err, 'consumer disconnect'));
    if (this.ownProducer) await this.producer.disconnect().catch(() => undefined);
    for (const list of this.waiters.values()) {
      for (const w of list) {
        clearTimeout(w.timer);
        w.reject(
          new Error(`kafka dlq '${this.topic}': store closed before offset ${w.offset} was read back`),
        );
      }
    }
    this.waiters.clear();
  }

  private async write(id: string, value: Buffer | null): Promise<void> {
    if (this.closed) throw new Error(`kafka dlq '${this.topic}': store is closed`);
    await this.start();
    const [meta] = await this.producer.send({ topic: this.topic, acks: -1, messages: [{ key: id, value }] });
    if (meta === undefined)
      throw new Error(`kafka dlq '${this.topic}': broker returned no offset for '${id}'`);
    await this.waitApplied(meta.partition, Number(meta.baseOffset));
  }

  private async apply({ batch }: EachBatchPayload): Promise<void> {
    for (const record of batch.messages) {
      const id = record.key?.toString('utf8');
      if (id === undefined) continue;
      if (record.value === null) {
        await this.index.remove(id);
        continue;
      }
      try {
        const envelope = this.options.codec.decode(record.value);
        if (envelope.kind !== 'dead_letter')
          throw new Error(`expected a dead_letter, got '${envelope.kind}'`);
        await this.index.add(envelope);
      } catch (err) {
        this.onError(err, `skipped undecodable record ${this.topic}@${record.offset}`);
      }
    }
    this.markApplied(batch.partition, Number(batch.lastOffset()) + 1);
  }

  private markApplied(partition: number, next: number): void {
    if (next <= (this.applied.get(partition) ?? 0)) return;
    this.applied.set(partition, next);
    const list = this.waiters.get(partition);
    if (list === undefined) return;
    const still: Waiter[] = [];
    for (const w of list) {
      if (w.offset < next) {
        clearTimeout(w.timer);
        w.resolve();
      } else still.push(w);
    }
    if (still.length > 0) this.waiters.set(partition, still);
    else this.waiters.delete(partition);
  }

  /** Resolves once the record at `offset` of `partition` is in the index (at once for offset < 0: empty topic). */
  private waitApplied(partition: number, offset: number): Promise<void> {
    if (offset < (this.applied.get(partition) ?? 0)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = this.waiters.get(partition) ?? [];
        this.waiters.set(
          partition,
          list.filter((w) => w.timer !== timer),
        );
        reject(
          new Error(
            `kafka dlq '${this.topic}': offset ${offset} of partition ${partition} not read back within ` +
              `${this.applyTimeoutMs} ms`,
          ),
        );
      }, this.applyTimeoutMs);
      const list = this.waiters.get(partition) ?? [];
      list.push({ offset, resolve, reject, timer });
      this.waiters.set(partition, list);
    });
  }
}

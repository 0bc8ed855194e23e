import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka, Message } from 'kafkajs';
import type { PipelineEnvelope } from '../envelope.js';
import type { QueueMessage, WorkReport, WorkReportWatch } from '../queue-manager.js';
import { statusTopic } from './kafka-topics.js';

/** A child published while handling a message. */
interface CreatedWork {
  runId: string;
  module: string;
  workId: string;
  published: Promise<void>;
}

/** What one delivery has done so far; found again from inside the handler through AsyncLocalStorage. */
interface WorkContext {
  workId: string | undefined;
  runId: string;
  module: string;
  created: CreatedWork[];
  counters: Record<string, number> | undefined;
}

export interface KafkaWorkReportsOptions {
  kafka: Kafka;
  namespace: string;
  /** The manager's batching publisher: reports share its produce requests. */
  send(topic: string, message: Message): Promise<void>;
  onError(err: unknown, context: string): void;
  maxWaitMs: number;
}

/**
 * Cross-process run completion on Kafka. Every handled message is reported on `{namespace}-status`, keyed by run id:
 * `{ d: its work id, c: work ids of the messages it published, n: counters }`. A work id travels as the record key,
 * so a redelivery or a nack retry of a record keeps it. The process that started a run holds the set of its work
 * ids not yet reported done; the run is complete when that set is empty.
 *
 * Why this survives a killed worker: a report is written after the handler's children are acknowledged by the broker
 * and before its own offset is committed. A worker killed before its report leaves the message uncommitted, so the
 * group redelivers it (same work id) and its new handler reports it; children the dead worker had already published
 * are handled like any record and their own children are reported as usual. Reports may arrive in any order across
 * processes: a child reported done before its parent's report created it is remembered and cancels that creation.
 */
export class KafkaWorkReports {
  private readonly context = new AsyncLocalStorage<WorkContext>();
  private readonly idPrefix = randomBytes(6).toString('base64url');
  private nextId = 0;
  private on = false;
  private readonly watches = new Set<Consumer>();

  constructor(private readonly options: KafkaWorkReportsOptions) {}

  /** Reports are written once an engine asks for them: a bare queue (the benchmarks) pays nothing. */
  get enabled(): boolean {
    return this.on;
  }

  enable(): void {
    this.on = true;
  }

  /** Unique across processes and cheap: a random process prefix and a counter. */
  newWorkId(): string {
    return `${this.idPrefix}${(this.nextId++).toString(36)}`;
  }

  /** Runs a handler inside its work context and, once it has resolved, writes its report. */
  async handle(
    msg: QueueMessage<PipelineEnvelope>,
    handler: (msg: QueueMessage<PipelineEnvelope>) => Promise<void>,
  ): Promise<void> {
    if (!this.on) return handler(msg);
    const ctx: WorkContext = {
      workId: msg.workId,
      runId: msg.envelope.routing.runId,
      module: msg.envelope.routing.module,
      created: [],
      counters: undefined,
    };
    await this.context.run(ctx, () => handler(msg));
    await this.write(ctx);
  }

  /** A publish without a caller-given work id made while handling a message: one of its children. */
  noteCreated(envelope: PipelineEnvelope, workId: string, published: Promise<void>): void {
    const ctx = this.context.getStore();
    if (ctx === undefined) return;
    ctx.created.push({
      runId: envelope.routing.runId,
      module: envelope.routing.module,
      workId,
      published,
    });
  }

  addCounters(counters: Record<string, number>): void {
    const ctx = this.context.getStore();
    if (ctx === undefined) return;
    const into = (ctx.counters ??= {});
    for (const [key, value] of Object.entries(counters)) {
      if (value !== 0) into[key] = (into[key] ?? 0) + value;
    }
  }

  /** A message that gave up (dead-lettered by the queue's nack path) is done as far as its run is concerned. */
  reportDone(msg: QueueMessage<PipelineEnvelope>): Promise<void> {
    if (!this.on || msg.workId === undefined) return Promise.resolve();
    return this.sendReport(msg.envelope.routing.runId, {
      d: msg.workId,
      m: msg.envelope.routing.module,
      c: [],
    });
  }

  /**
   * Calls `onReport` with every report, from any process, of a run `wants` accepts, written from now on. The status
   * consumer starts at the topic's current end, so a run dispatched after this resolves misses none of its reports.
   */
  async watch(
    wants: (runId: string) => boolean,
    onReport: (report: WorkReport) => void,
  ): Promise<WorkReportWatch> {
    const topic = statusTopic(this.options.namespace);
    const admin = this.options.kafka.admin();
    await admin.connect();
    let ends: Array<{ partition: number; high: string }>;
    try {
      ends = await admin.fetchTopicOffsets(topic);
    } finally {
      await admin.disconnect();
    }
    const consumer = this.options.kafka.consumer({
      // A group of its own: every driving process reads every report; nothing is committed.
      groupId: `${this.options.namespace}-status-watch-${randomUUID()}`,
      maxWaitTimeInMs: this.options.maxWaitMs,
      allowAutoTopicCreation: false,
    });
    this.watches.add(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async (payload) => this.read(payload, wants, onReport),
    });
    for (const { partition, high } of ends) consumer.seek({ topic, partition, offset: high });
    return {
      stop: async () => {
        if (!this.watches.delete(consumer)) return;
        await consumer.disconnect().catch((err: unknown) => this.options.onError(err, 'status consumer'));
      },
    };
  }

  async close(): Promise<void> {
    const consumers = [...this.watches];
    this.watches.clear();
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
  }

  private async write(ctx: WorkContext): Promise<void> {
    // A child whose publish failed does not exist: reporting it would keep its run open forever.
    const settled = await Promise.allSettled(ctx.created.map((c) => c.published));
    const groups = new Map<string, { runId: string; module: string; ids: string[] }>();
    const own = `${ctx.runId}\u0000${ctx.module}`;
    groups.set(own, { runId: ctx.runId, module: ctx.module, ids: [] });
    ctx.created.forEach((child, i) => {
      if (settled[i]?.status !== 'fulfilled') return;
      const key = `${child.runId}\u0000${child.module}`;
      let group = groups.get(key);
      if (group === undefined)
        groups.set(key, (group = { runId: child.runId, module: child.module, ids: [] }));
      group.ids.push(child.workId);
    });
    const writes: Array<Promise<void>> = [];
    for (const [key, group] of groups) {
      const record: StatusRecord = { m: group.module, c: group.ids };
      if (key === own) {
        if (ctx.workId !== undefined) record.d = ctx.workId;
        if (ctx.counters !== undefined) record.n = ctx.counters;
      }
      if (record.d === undefined && record.c.length === 0 && record.n === undefined) continue;
      writes.push(this.sendReport(group.runId, record));
    }
    await Promise.all(writes);
  }

  private sendReport(runId: string, record: StatusRecord): Promise<void> {
    return this.options.send(statusTopic(this.options.namespace), {
      key: runId,
      value: Buffer.from(JSON.stringify(record)),
    });
  }

  private async read(
    { batch }: EachBatchPayload,
    wants: (runId: string) => boolean,
    onReport: (report: WorkReport) => void,
  ): Promise<void> {
    for (const record of batch.messages) {
      if (record.key === null || record.value === null) continue;
      const runId = record.key.toString('utf8');
      if (!wants(runId)) continue;
      const report = decodeStatusRecord(runId, record.value);
      if (report === undefined) {
        this.options.onError(
          new Error('not a work report'),
          `skipped status record ${batch.topic}/${batch.partition}/${record.offset}`,
        );
        continue;
      }
      try {
        onReport(report);
      } catch (err) {
        this.options.onError(err, `work report of run ${runId}`);
      }
    }
  }
}

/** The JSON of a status record (short keys: one is written per handled message). */
interface StatusRecord {
  /** Module. */
  m: string;
  /** Work id done. */
  d?: string;
  /** Work ids created. */
  c: string[];
  /** Counters. */
  n?: Record<string, number>;
}

/** Checks every field: a record from another version or a stray producer must not corrupt a run's count. */
export function decodeStatusRecord(runId: string, value: Buffer): WorkReport | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const { m, d, c, n } = parsed as Record<string, unknown>;
  if (typeof m !== 'string' || (d !== undefined && typeof d !== 'string')) return undefined;
  if (!Array.isArray(c) || !c.every((id) => typeof id === 'string')) return undefined;
  let counters: Record<string, number> | undefined;
  if (n !== undefined) {
    if (typeof n !== 'object' || n === null || Array.isArray(n)) return undefined;
    counters = {};
    for (const [key, count] of Object.entries(n)) {
      if (typeof count !== 'number' || !Number.isFinite(count)) return undefined;
      counters[key] = count;
    }
  }
  const report: WorkReport = { runId, module: m, created: c as string[] };
  if (d !== undefined) report.done = d;
  if (counters !== undefined) report.counters = counters;
  return report;
}

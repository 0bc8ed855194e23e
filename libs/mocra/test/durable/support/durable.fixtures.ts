import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DurableLocalQueueManager,
  type DurableLocalQueueManagerOptions,
} from '../../../src/queue/durable/durable-local-queue.manager.js';
import type {
  PipelineEnvelope,
  Priority,
  QueueMessage,
  RequestDispatchEnvelope,
} from '../../../src/queue/index.js';
import { requestEnvelope, routing } from '../../queue/envelope.fixtures.js';

export interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

export function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Lets pending microtasks and one macrotask turn run. */
export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

export async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 5000; i++) {
    if (cond()) return;
    await tick();
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A request envelope tagged with `tag` in its request id, for order checks. */
export function tagged(tag: string, priority: Priority = 'normal'): RequestDispatchEnvelope {
  const env = requestEnvelope({ id: tag });
  env.routing = routing({ priority, requestId: tag });
  return env;
}

export const tagOf = (msg: QueueMessage<PipelineEnvelope>): string => msg.envelope.routing.requestId ?? '?';

/** Temporary directories and open queues of a test file, cleaned up by `cleanup`. */
export class DurableFixture {
  private readonly dirs: string[] = [];
  private readonly queues: DurableLocalQueueManager[] = [];
  readonly reports: string[] = [];

  async dir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'mocra-durable-'));
    this.dirs.push(dir);
    return dir;
  }

  async open(options: Partial<DurableLocalQueueManagerOptions> = {}): Promise<DurableLocalQueueManager> {
    const q = await DurableLocalQueueManager.open({
      namespace: 'ns1',
      capacity: 100,
      nackMaxRetries: 0,
      nackBackoffMs: 0,
      onReport: (line) => this.reports.push(line),
      ...options,
      path: options.path ?? (await this.dir()),
    });
    this.queues.push(q);
    return q;
  }

  async cleanup(): Promise<void> {
    // Handlers left blocked by a failed test must not hang the suite.
    await Promise.race([
      Promise.all(this.queues.splice(0).map((q) => q.close().catch(() => {}))),
      new Promise((r) => setTimeout(r, 500)),
    ]);
    await Promise.all(this.dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  }
}

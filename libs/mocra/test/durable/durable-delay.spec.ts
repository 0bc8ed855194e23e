import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DurableLocalQueueManager } from '../../src/queue/durable/durable-local-queue.manager.js';
import { routing, taskEnvelope } from '../queue/envelope.fixtures.js';
import type { TaskDispatchEnvelope } from '../../src/queue/envelope.js';

function task(runId: string): TaskDispatchEnvelope {
  return { ...taskEnvelope('normal'), routing: routing({ runId }) };
}

describe('DurableLocalQueueManager delayed publish', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mocra-durable-delay-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('holds a delayed message for its delay and keeps it across a restart', async () => {
    const path = join(dir, 'q');
    const opts = {
      path,
      namespace: 'ns',
      capacity: 10,
      nackMaxRetries: 0,
      nackBackoffMs: 0,
      onReport: () => {},
    };
    const q = await DurableLocalQueueManager.open(opts);
    await q.publish('task', task('held'), 'normal', { delayMs: 60_000 });
    await q.publish('task', task('now'), 'normal');
    expect(q.depth('task')).toBe(1);
    await q.close();

    const reopened = await DurableLocalQueueManager.open(opts);
    expect(reopened.recovery.recovered).toBe(2);
    const seen: string[] = [];
    reopened.subscribe<TaskDispatchEnvelope>('task', async (m) => void seen.push(m.envelope.routing.runId), {
      concurrency: 1,
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual(['now']);
    await reopened.close();
  });
});

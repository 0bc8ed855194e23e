import { describe, expect, it } from 'vitest';
import { LocalQueueManager } from '../../src/queue/local/local-queue.manager.js';
import { routing, taskEnvelope } from './envelope.fixtures.js';
import type { TaskDispatchEnvelope } from '../../src/queue/envelope.js';

function task(runId: string): TaskDispatchEnvelope {
  return { ...taskEnvelope('normal'), routing: routing({ runId }) };
}

describe('LocalQueueManager delayed publish', () => {
  it('delivers a delayed message no sooner than its delay, and close() releases it instead of losing it', async () => {
    const q = new LocalQueueManager({ namespace: 'ns', capacity: 1, nackMaxRetries: 0, nackBackoffMs: 0 });
    const seen: Array<{ runId: string; at: number }> = [];
    const t0 = performance.now();
    q.subscribe<TaskDispatchEnvelope>(
      'task',
      async (m) => void seen.push({ runId: m.envelope.routing.runId, at: performance.now() - t0 }),
      {
        concurrency: 1,
      },
    );
    await q.publish('task', task('late'), 'normal', { delayMs: 120 });
    await q.publish('task', task('now'), 'normal');
    await new Promise((r) => setTimeout(r, 60));
    expect(seen.map((s) => s.runId)).toEqual(['now']);
    await new Promise((r) => setTimeout(r, 120));
    expect(seen.map((s) => s.runId)).toEqual(['now', 'late']);
    expect(seen[1]!.at).toBeGreaterThanOrEqual(115);

    const q2 = new LocalQueueManager({ namespace: 'ns', capacity: 1, nackMaxRetries: 0, nackBackoffMs: 0 });
    await q2.publish('task', task('held'), 'normal', { delayMs: 60_000 });
    q2.pause();
    await q2.close();
    expect(q2.depth('task')).toBe(1);
    await q.close();
  });
});

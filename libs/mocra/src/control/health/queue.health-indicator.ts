import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { QUEUE_MANAGER } from '../../mocra.tokens.js';
import type { QueueManager } from '../../queue/queue-manager.js';

/** A queue backend that can check its connection (the Kafka backend pings the brokers). */
interface QueueHealthCheck {
  healthCheck(): Promise<void>;
}

function hasHealthCheck(queue: QueueManager): queue is QueueManager & QueueHealthCheck {
  return typeof (queue as Partial<QueueHealthCheck>).healthCheck === 'function';
}

/** `queue`: up when the backend answers; reports backend, depth, in-flight and the pause flag either way. */
@Injectable()
export class QueueHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(QUEUE_MANAGER) private readonly queue: QueueManager,
  ) {}

  async check(timeoutMs: number): Promise<HealthIndicatorResult<'queue'>> {
    const session = this.health.check('queue');
    const state = { backend: this.queue.backend, depth: 0, inflight: 0, paused: false };
    try {
      state.depth = this.queue.depth();
      state.inflight = this.queue.inflight();
      state.paused = this.queue.paused;
      if (hasHealthCheck(this.queue))
        await withTimeout(this.queue.healthCheck(), timeoutMs, 'queue health check');
      return session.up(state);
    } catch (err) {
      return session.down({ ...state, message: err instanceof Error ? err.message : String(err) });
    }
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

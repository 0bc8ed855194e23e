import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthIndicatorFunction } from '@nestjs/terminus';
import { CacheHealthIndicator } from './cache.health-indicator.js';
import { QueueHealthIndicator } from './queue.health-indicator.js';
import { RaftHealthIndicator } from './raft.health-indicator.js';

/** A dependency that does not answer within this time is reported down, so a probe never hangs. */
const CHECK_TIMEOUT_MS = 3000;

/** `GET /health` (public): 200 when every component is up, 503 naming the ones that are down. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly queue: QueueHealthIndicator,
    private readonly cache: CacheHealthIndicator,
    private readonly raft: RaftHealthIndicator,
  ) {}

  @Get()
  @HealthCheck({ swaggerDocumentation: false })
  check() {
    const checks: HealthIndicatorFunction[] = [
      () => this.queue.check(CHECK_TIMEOUT_MS),
      () => this.cache.check(),
    ];
    if (this.raft.configured) checks.push(() => this.raft.check());
    return this.health.check(checks);
  }
}

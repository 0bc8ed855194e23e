import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { ApiKeyGuard } from './api-key.guard.js';
import { ClusterController } from './cluster.controller.js';
import { DebugStatusController } from './debug-status.controller.js';
import { DlqController } from './dlq.controller.js';
import { CacheHealthIndicator } from './health/cache.health-indicator.js';
import { HealthController } from './health/health.controller.js';
import { QueueHealthIndicator } from './health/queue.health-indicator.js';
import { RaftHealthIndicator } from './health/raft.health-indicator.js';
import { ModuleConfigController } from './module-config.controller.js';
import { OpenApiController } from './openapi.controller.js';
import { PauseController } from './pause.controller.js';
import { RaftUnavailableFilter } from './raft-unavailable.filter.js';
import { TasksController } from './tasks.controller.js';

/**
 * The HTTP control plane as controllers of the host app: import it next to `MocraModule.forRoot(...)`, create the
 * app on `FastifyAdapter` and serve it with `startMocraHttp(app)` (binds `[api]` host:port, applies body_limit).
 * Public: `GET /health`, `GET /metrics`, `GET /docs-json` (OpenAPI). Everything else needs `[api] api_key`.
 *
 * `/metrics` serves prom-client's global registry; the default process metrics are registered (prefixed
 * `mocra_`) by the metrics providers of `MocraModule`, so they are disabled here.
 */
@Module({
  imports: [TerminusModule.forRoot(), PrometheusModule.register({ defaultMetrics: { enabled: false } })],
  controllers: [
    HealthController,
    TasksController,
    ClusterController,
    ModuleConfigController,
    DebugStatusController,
    DlqController,
    PauseController,
    OpenApiController,
  ],
  providers: [
    ApiKeyGuard,
    QueueHealthIndicator,
    CacheHealthIndicator,
    RaftHealthIndicator,
    { provide: APP_FILTER, useClass: RaftUnavailableFilter },
  ],
})
export class MocraControlModule {}

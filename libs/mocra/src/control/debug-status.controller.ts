import { Controller, Get, Inject, NotFoundException, Optional, Param, UseGuards } from '@nestjs/common';
import type { EngineStats } from '../engine/engine-stats.js';
import { MocraService } from '../engine/mocra.service.js';
import type { RunSummary } from '../engine/run-summary.js';
import { MOCRA_CONFIG, QUEUE_MANAGER } from '../mocra.tokens.js';
import type { MocraConfig } from '../config/mocra-config.js';
import { PRIORITIES, ROUTES, type Priority, type Route } from '../queue/envelope.js';
import type { QueueManager } from '../queue/queue-manager.js';
import { ClusterSyncService, type ClusterNodeStatus } from '../raft/cluster-sync.service.js';
import { ApiKeyGuard } from './api-key.guard.js';

export interface DebugStatus {
  nodeId: string;
  stats: EngineStats;
  activeRuns: RunSummary[];
  recentRuns: RunSummary[];
}

export interface StageStatus {
  route: Route;
  depth: Record<Priority, number>;
  inflight: number;
}

export interface RunStatus {
  state: 'active' | 'finished';
  run: RunSummary;
}

/** `GET /debug/status/...`: engine counters, runs (active and recently finished) and the pipeline stages. */
@Controller('debug/status')
@UseGuards(ApiKeyGuard)
export class DebugStatusController {
  constructor(
    private readonly mocra: MocraService,
    @Inject(MOCRA_CONFIG) private readonly config: MocraConfig,
    @Inject(QUEUE_MANAGER) private readonly queue: QueueManager,
    @Optional() private readonly clusterSync?: ClusterSyncService,
  ) {}

  @Get()
  status(): DebugStatus {
    return {
      nodeId: this.config.crawler.node_id,
      stats: this.mocra.stats(),
      activeRuns: this.mocra.activeRuns(),
      recentRuns: this.mocra.recentRuns(),
    };
  }

  /**
   * With [raft]: every live member's counters and active runs from the replicated status table (each member
   * publishes its own with every heartbeat, 2 s); without it, this process alone.
   */
  @Get('cluster')
  clusterStatus(): ClusterNodeStatus[] {
    if (this.clusterSync?.enabled) return this.clusterSync.clusterStatus();
    const own = this.status();
    return [{ nodeId: own.nodeId, at: Date.now(), stats: own.stats, activeRuns: own.activeRuns }];
  }

  /** One entry per pipeline route (stage): waiting messages per priority and messages in flight. */
  @Get('stages')
  stages(): StageStatus[] {
    return ROUTES.map((route) => {
      const depth = {} as Record<Priority, number>;
      for (const p of PRIORITIES) depth[p] = this.queue.depth(route, p);
      return { route, depth, inflight: this.queue.inflight(route) };
    });
  }

  @Get('runs/:runId')
  run(@Param('runId') runId: string): RunStatus {
    const active = this.mocra.activeRuns().find((r) => r.runId === runId);
    if (active) return { state: 'active', run: active };
    const finished = this.mocra.recentRuns().find((r) => r.runId === runId);
    if (finished) return { state: 'finished', run: finished };
    throw new NotFoundException(
      `unknown run "${runId}" (neither active nor among the recently finished runs)`,
    );
  }
}

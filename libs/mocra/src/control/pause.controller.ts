import { Controller, HttpCode, HttpStatus, Inject, Post, UseGuards } from '@nestjs/common';
import { MocraService } from '../engine/mocra.service.js';
import { ClusterSyncService } from '../raft/cluster-sync.service.js';
import { QUEUE_MANAGER } from '../mocra.tokens.js';
import type { QueueManager } from '../queue/queue-manager.js';
import { ApiKeyGuard } from './api-key.guard.js';

/**
 * `POST /control/pause` and `/control/resume`: stop and restart deliveries; in-flight work finishes, none is lost.
 * With [raft] the flag is replicated: a pause through any member pauses every member.
 */
@Controller('control')
@UseGuards(ApiKeyGuard)
export class PauseController {
  constructor(
    private readonly mocra: MocraService,
    @Inject(QUEUE_MANAGER) private readonly queue: QueueManager,
    private readonly cluster: ClusterSyncService,
  ) {}

  @Post('pause')
  @HttpCode(HttpStatus.OK)
  async pause(): Promise<{ paused: boolean }> {
    if (this.cluster.enabled) await this.cluster.setPaused(true);
    else this.mocra.pause();
    return { paused: this.queue.paused };
  }

  @Post('resume')
  @HttpCode(HttpStatus.OK)
  async resume(): Promise<{ paused: boolean }> {
    if (this.cluster.enabled) await this.cluster.setPaused(false);
    else this.mocra.resume();
    return { paused: this.queue.paused };
  }
}

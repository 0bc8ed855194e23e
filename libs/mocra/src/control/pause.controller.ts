import { Controller, HttpCode, HttpStatus, Inject, Post, UseGuards } from '@nestjs/common';
import { MocraService } from '../engine/mocra.service.js';
import { QUEUE_MANAGER } from '../mocra.tokens.js';
import type { QueueManager } from '../queue/queue-manager.js';
import { ApiKeyGuard } from './api-key.guard.js';

/** `POST /control/pause` and `/control/resume`: stop and restart deliveries; in-flight work finishes, none is lost. */
@Controller('control')
@UseGuards(ApiKeyGuard)
export class PauseController {
  constructor(
    private readonly mocra: MocraService,
    @Inject(QUEUE_MANAGER) private readonly queue: QueueManager,
  ) {}

  @Post('pause')
  @HttpCode(HttpStatus.OK)
  pause(): { paused: boolean } {
    this.mocra.pause();
    return { paused: this.queue.paused };
  }

  @Post('resume')
  @HttpCode(HttpStatus.OK)
  resume(): { paused: boolean } {
    this.mocra.resume();
    return { paused: this.queue.paused };
  }
}

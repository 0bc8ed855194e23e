import {
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  UseGuards,
  UsePipes,
} from '@nestjs/common';
import { QUEUE_MANAGER } from '../mocra.tokens.js';
import type { QueueManager } from '../queue/queue-manager.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { ControlValidationPipe } from './control-validation.pipe.js';
import { DLQ_DEFAULT_PAGE, DLQ_MAX_PAGE, DlqQueryDto } from './dlq-query.dto.js';
import { toJsonSafe } from './json-safe.js';

export interface DlqPageView {
  items: unknown[];
  total: number;
  offset: number;
  limit: number;
}

/** `/dlq/messages`: list (newest first, filtered, paged), requeue to the source route, delete. */
@Controller('dlq/messages')
@UseGuards(ApiKeyGuard)
@UsePipes(ControlValidationPipe)
export class DlqController {
  constructor(@Inject(QUEUE_MANAGER) private readonly queue: QueueManager) {}

  @Get()
  async list(@Query() query: DlqQueryDto): Promise<DlqPageView> {
    const offset = query.offset ?? 0;
    const limit = Math.min(DLQ_MAX_PAGE, Math.max(1, query.limit ?? DLQ_DEFAULT_PAGE));
    const page = await this.queue.dlq.list({
      route: query.route,
      module: query.module,
      reason: query.reason,
      offset,
      limit,
    });
    return { items: page.items.map(toJsonSafe), total: page.total, offset, limit };
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<unknown> {
    const record = await this.queue.dlq.get(id);
    if (!record) throw notFound(id);
    return toJsonSafe(record);
  }

  @Post(':id/requeue')
  @HttpCode(HttpStatus.ACCEPTED)
  async requeue(@Param('id') id: string): Promise<{ id: string; requeued: true }> {
    if (!(await this.queue.requeueDeadLetter(id))) throw notFound(id);
    return { id, requeued: true };
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  async remove(@Param('id') id: string): Promise<void> {
    if (!(await this.queue.dlq.remove(id))) throw notFound(id);
  }
}

function notFound(id: string): NotFoundException {
  return new NotFoundException(`no dead letter with id "${id}"`);
}

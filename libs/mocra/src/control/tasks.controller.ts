import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  HttpCode,
  HttpStatus,
  Post,
  UseGuards,
  UsePipes,
} from '@nestjs/common';
import { SerialModuleBusyError } from '../engine/dispatch-gate.js';
import { MocraService } from '../engine/mocra.service.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { ControlValidationPipe } from './control-validation.pipe.js';
import { DispatchTaskDto } from './dispatch-task.dto.js';

export interface DispatchAccepted {
  runId: string;
  modules: string[];
}

/** `POST /tasks/dispatch`: starts a run, answers 202 at once; watch it at `/debug/status/runs/:runId`. */
@Controller('tasks')
@UseGuards(ApiKeyGuard)
@UsePipes(ControlValidationPipe)
export class TasksController {
  constructor(private readonly mocra: MocraService) {}

  @Post('dispatch')
  @HttpCode(HttpStatus.ACCEPTED)
  async dispatch(@Body() body: DispatchTaskDto): Promise<DispatchAccepted> {
    const known = this.mocra.modules();
    for (const name of body.module ?? []) {
      if (!known.includes(name)) {
        throw new BadRequestException(
          `module: unknown module "${name}" (modules: ${known.join(', ') || 'none'})`,
        );
      }
    }
    if (body.runId !== undefined && this.mocra.activeRuns().some((r) => r.runId === body.runId)) {
      throw new ConflictException(`runId: run "${body.runId}" is already active`);
    }
    const event = {
      account: body.account,
      platform: body.platform,
      module: body.module,
      priority: body.priority,
      runId: body.runId,
    };
    const handle = await this.mocra.dispatch(event).catch((error: unknown) => {
      // a serial module running elsewhere in the cluster is a state conflict, not a server fault
      if (error instanceof SerialModuleBusyError) throw new ConflictException(error.message);
      throw error;
    });
    // The run's outcome is read from /debug/status; nobody awaits `finished` here.
    void handle.finished.catch(() => undefined);
    return { runId: handle.runId, modules: handle.modules };
  }
}

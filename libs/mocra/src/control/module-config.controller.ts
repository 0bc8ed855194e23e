import {
  BadRequestException,
  Body,
  Controller,
  Get,
  NotFoundException,
  Param,
  Patch,
  UseGuards,
  UsePipes,
} from '@nestjs/common';
import {
  CrawlerRegistry,
  type ModuleRuntimeSettings,
  type RegisteredModule,
} from '../engine/crawler.registry.js';
import { validateCronExpression } from '../engine/cron-expression.js';
import { MocraService } from '../engine/mocra.service.js';
import { ClusterSyncService } from '../raft/cluster-sync.service.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { ControlValidationPipe } from './control-validation.pipe.js';
import { UpdateModuleDto } from './update-module.dto.js';

export interface ModuleView {
  name: string;
  className: string;
  account: string;
  platform: string;
  settings: ModuleRuntimeSettings;
  dag: { mode: 'linear' | 'explicit'; entries: string[]; nodes: Array<{ key: string; next: string[] }> };
}

function view(mod: RegisteredModule): ModuleView {
  return {
    name: mod.name,
    className: mod.className,
    account: mod.account,
    platform: mod.platform,
    settings: { ...mod.settings },
    dag: {
      mode: mod.dag.mode,
      entries: [...mod.dag.entries],
      nodes: [...mod.dag.nodes.values()].map((n) => ({ key: n.key, next: [...n.next] })),
    },
  };
}

/**
 * `/config/modules`: the registered modules with their runtime settings. PATCH changes the running crawl at once
 * (rate limiter and concurrency follow immediately, new runs pick up priority and enabled).
 */
@Controller('config/modules')
@UseGuards(ApiKeyGuard)
@UsePipes(ControlValidationPipe)
export class ModuleConfigController {
  constructor(
    private readonly registry: CrawlerRegistry,
    private readonly mocra: MocraService,
    private readonly cluster: ClusterSyncService,
  ) {}

  @Get()
  list(): ModuleView[] {
    return this.registry.all().map(view);
  }

  @Get(':name')
  get(@Param('name') name: string): ModuleView {
    return view(this.find(name));
  }

  @Patch(':name')
  async update(@Param('name') name: string, @Body() body: UpdateModuleDto): Promise<ModuleView> {
    this.find(name);
    const patch: Partial<ModuleRuntimeSettings> = {};
    if (body.enabled !== undefined) patch.enabled = body.enabled;
    if (body.rate_limit !== undefined) patch.rateLimit = body.rate_limit;
    if (body.concurrency !== undefined) patch.concurrency = body.concurrency;
    if (body.priority !== undefined) patch.priority = body.priority;
    if (body.cron === null) patch.cron = undefined;
    else if (body.cron !== undefined) {
      const problem = validateCronExpression(body.cron);
      if (problem) throw new BadRequestException(`cron: invalid cron expression "${body.cron}": ${problem}`);
      patch.cron = body.cron;
    }
    if (Object.keys(patch).length === 0) {
      throw new BadRequestException(
        'request body sets no field: give enabled, rate_limit, concurrency, priority or cron',
      );
    }
    // with [raft] the change goes through the log and every member applies it
    if (this.cluster.enabled) await this.cluster.updateModule(name, patch);
    else this.mocra.updateModule(name, patch);
    return view(this.find(name));
  }

  private find(name: string): RegisteredModule {
    const mod = this.registry.get(name);
    if (!mod) {
      throw new NotFoundException(
        `unknown module "${name}" (modules: ${this.registry.names().join(', ') || 'none'})`,
      );
    }
    return mod;
  }
}

import { Injectable } from '@nestjs/common';
import type { TaskEvent } from '../queue/envelope.js';
import { CrawlEngine } from './crawl.engine.js';
import type { EngineStats } from './engine-stats.js';
import type { RunHandle, RunSummary } from './run-summary.js';
import { CrawlerRegistry, type ModuleRuntimeSettings } from './crawler.registry.js';
import type { ModuleDag } from '../dag/module-dag.js';
import { MocraCronScheduler } from './cron.scheduler.js';

/** The runtime API for application code: start runs, watch them, pause and resume. */
@Injectable()
export class MocraService {
  constructor(
    private readonly engine: CrawlEngine,
    private readonly registry: CrawlerRegistry,
    private readonly cron: MocraCronScheduler,
  ) {}

  /**
   * Starts a run of the modules the event names (all enabled modules when it names none). Resolves to a handle
   * whose `finished` promise gives the run summary when no work of the run is left.
   */
  async dispatch(event: TaskEvent = {}): Promise<RunHandle> {
    return this.engine.dispatch(event);
  }

  pause(): void {
    this.engine.pause();
  }

  resume(): void {
    this.engine.resume();
  }

  /** The handle of a run that is still active (e.g. one resumed from a durable queue after a restart). */
  runHandle(runId: string): RunHandle | undefined {
    const run = this.engine.runs.get(runId);
    return run ? { runId, modules: [...run.modules.keys()], finished: run.finished } : undefined;
  }

  stats(): EngineStats {
    return this.engine.stats();
  }

  activeRuns(): RunSummary[] {
    return this.engine.runs.active().map((r) => r.summary());
  }

  recentRuns(): RunSummary[] {
    return this.engine.runs.recent();
  }

  modules(): string[] {
    return this.registry.names();
  }

  dag(module: string): ModuleDag | undefined {
    return this.registry.get(module)?.dag;
  }

  /** Changes a module's settings in the running crawl (rate limit, concurrency, priority, cron, enabled). */
  updateModule(module: string, patch: Partial<ModuleRuntimeSettings>): ModuleRuntimeSettings {
    const settings = { ...this.registry.updateSettings(module, patch).settings };
    if ('cron' in patch || 'enabled' in patch) this.cron.schedule(module);
    return settings;
  }
}

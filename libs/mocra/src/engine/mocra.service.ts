import { Injectable } from '@nestjs/common';
import type { TaskEvent } from '../queue/envelope.js';
import { CrawlEngine } from './crawl.engine.js';
import type { EngineStats } from './engine-stats.js';
import type { RunHandle, RunSummary } from './run-summary.js';
import { CrawlerRegistry, type ModuleRuntimeSettings } from './crawler.registry.js';
import type { ModuleDag } from '../dag/module-dag.js';
import { MocraCronScheduler } from './cron.scheduler.js';
import type { DispatchGate } from './dispatch-gate.js';

/** The runtime API for application code: start runs, watch them, pause and resume. */
@Injectable()
export class MocraService {
  private gate: DispatchGate | undefined;

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
    if (!this.gate) return this.engine.dispatch(event);
    const modules = event.module?.length ? event.module : this.registry.names();
    const handle = await this.gate.dispatch(modules, () => this.engine.dispatch(event));
    // only cron fires can be declined; an API dispatch either starts or rejects
    if (!handle) throw new Error(`dispatch of ${modules.join(', ')} was declined by the cluster`);
    return handle;
  }

  /** Installs the cluster's dispatch gate (the Raft coordination does this at bootstrap). */
  useDispatchGate(gate: DispatchGate): void {
    this.gate = gate;
    this.cron.useDispatchGate(gate);
  }

  pause(): void {
    this.engine.pause();
  }

  resume(): void {
    this.engine.resume();
  }

  /**
   * The handle of a run that is still active (e.g. one resumed from a durable queue after a restart). With [raft],
   * a serial module's run started in this process carries its fencing tokens, for nodes to send to the resource.
   */
  runHandle(runId: string): RunHandle | undefined {
    const run = this.engine.runs.get(runId);
    if (!run) return undefined;
    const fencingTokens = this.gate?.fencingTokens?.(runId);
    return {
      runId,
      modules: [...run.modules.keys()],
      finished: run.finished,
      ...(fencingTokens ? { fencingTokens } : {}),
    };
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

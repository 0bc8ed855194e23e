import { Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { CrawlerRegistry } from './crawler.registry.js';
import { CrawlEngine } from './crawl.engine.js';
import type { DispatchGate } from './dispatch-gate.js';

/** Registers one cron job per module with a `cron` setting; each fire dispatches a new run of that module. */
@Injectable()
export class MocraCronScheduler {
  private readonly logger = new Logger('mocra:cron');
  private readonly jobs = new Map<string, CronJob>();
  private gate: DispatchGate | undefined;

  constructor(
    private readonly schedulerRegistry: SchedulerRegistry,
    private readonly registry: CrawlerRegistry,
    private readonly engine: CrawlEngine,
  ) {}

  start(): void {
    for (const mod of this.registry.all()) this.schedule(mod.name);
  }

  /** (Re)schedules a module from its current settings; called again after a runtime settings change. */
  schedule(module: string): void {
    this.unschedule(module);
    const mod = this.registry.get(module);
    if (!mod?.settings.cron || !mod.settings.enabled) return;
    // Cron belongs to the ingress stage: processes without it (download/parse workers) never start runs.
    if (!this.engine.runsIngress()) return;
    // The scheduled time of the coming fire, not the moment the timer ran: every process computes the same one,
    // which is what lets a cluster start exactly one run per fire time.
    let due = 0;
    const job: CronJob = CronJob.from({
      cronTime: mod.settings.cron,
      onTick: () => {
        const fireTime = due;
        due = job.nextDate().toMillis();
        void this.fire(module, fireTime);
      },
      start: false,
    });
    due = job.nextDate().toMillis();
    job.start();
    this.jobs.set(module, job);
    this.schedulerRegistry.addCronJob(`mocra:${module}`, job);
  }

  useDispatchGate(gate: DispatchGate): void {
    this.gate = gate;
  }

  private async fire(module: string, fireTime: number): Promise<void> {
    try {
      const start = () => this.engine.dispatch({ module: [module] });
      const run = this.gate ? await this.gate.dispatch([module], start, fireTime) : start();
      if (run) this.logger.log(`cron: started run ${run.runId} of module "${module}"`);
      else this.logger.debug(`cron: fire ${new Date(fireTime).toISOString()} of "${module}" ran elsewhere`);
    } catch (err) {
      this.logger.error(`cron: module "${module}" could not start: ${String(err)}`);
    }
  }

  unschedule(module: string): void {
    const job = this.jobs.get(module);
    if (!job) return;
    void job.stop();
    this.jobs.delete(module);
    this.schedulerRegistry.deleteCronJob(`mocra:${module}`);
  }

  stop(): void {
    for (const module of [...this.jobs.keys()]) this.unschedule(module);
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { CrawlerRegistry } from './crawler.registry.js';
import { CrawlEngine } from './crawl.engine.js';

/** Registers one cron job per module with a `cron` setting; each fire dispatches a new run of that module. */
@Injectable()
export class MocraCronScheduler {
  private readonly logger = new Logger('mocra:cron');
  private readonly jobs = new Map<string, CronJob>();

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
    const job = CronJob.from({
      cronTime: mod.settings.cron,
      onTick: () => {
        try {
          const run = this.engine.dispatch({ module: [module] });
          this.logger.log(`cron: started run ${run.runId} of module "${module}"`);
        } catch (err) {
          this.logger.error(`cron: module "${module}" could not start: ${String(err)}`);
        }
      },
      start: true,
    });
    this.jobs.set(module, job);
    this.schedulerRegistry.addCronJob(`mocra:${module}`, job);
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

import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { CrawlerModuleOptions } from '../decorators/crawler-module.decorator.js';
import { compileModuleDag, type NodeDeclaration } from '../dag/dag.compiler.js';
import { DagCompileError } from '../dag/dag-compile.error.js';
import type { ModuleDag } from '../dag/module-dag.js';
import { MocraExplorer, type DiscoveredMiddleware } from '../discovery/mocra.explorer.js';
import { MocraMetadataAccessor } from '../discovery/mocra-metadata.accessor.js';
import type { MocraConfig } from '../config/mocra-config.js';
import { MOCRA_CONFIG } from '../mocra.tokens.js';
import { MocraMessages } from '../mocra.messages.js';
import { Semaphore } from '../common/semaphore.js';
import type { CrawlerModuleHooks } from './crawler-node.interface.js';
import type {
  DataMiddlewareHandler,
  DownloadMiddlewareHandler,
  StoreMiddlewareHandler,
} from '../middleware/middleware.interfaces.js';
import type { Priority } from '../request/request-data.js';
import { validateCronExpression } from './cron-expression.js';
import type { ModuleDownloadPolicy } from '../downloader/download-coordinator.js';
import { resolveModuleDownloadPolicy } from '../downloader/module-download-policy.js';

/** Module options a running crawl may change without a restart (config file, later the /config API). */
export interface ModuleRuntimeSettings {
  enabled: boolean;
  rateLimit: number;
  concurrency: number;
  priority: Priority;
  timeoutMs: number;
  cron: string | undefined;
  responseCacheEnabled: boolean;
  responseCacheTtlSecs: number | undefined;
}

/** A module ready to run: compiled DAG, resolved settings, ordered middleware, its limiter and semaphore. */
export interface RegisteredModule {
  name: string;
  className: string;
  options: CrawlerModuleOptions;
  hooks: CrawlerModuleHooks;
  dag: ModuleDag;
  settings: ModuleRuntimeSettings;
  /** `[modules.<name>.settings]`, given to nodes as ctx.config. */
  config: Readonly<Record<string, unknown>>;
  account: string;
  platform: string;
  downloadMiddleware: DownloadMiddlewareHandler[];
  dataMiddleware: DataMiddlewareHandler[];
  storeMiddleware: Array<{ name: string; handler: StoreMiddlewareHandler }>;
  /** What the download coordinator enforces for this module; follows runtime settings changes. */
  downloadPolicy: ModuleDownloadPolicy;
  /** Downloads of this module that are in flight or not yet persisted. */
  semaphore: Semaphore;
}

/** Compiles every discovered module at init, so a bad DAG or middleware name fails startup. */
@Injectable()
export class CrawlerRegistry implements OnModuleInit {
  private readonly modules = new Map<string, RegisteredModule>();

  constructor(
    private readonly explorer: MocraExplorer,
    private readonly accessor: MocraMetadataAccessor,
    @Inject(MOCRA_CONFIG) private readonly config: MocraConfig,
  ) {}

  onModuleInit(): void {
    this.explorer.explore();
    for (const discovered of this.explorer.modules) {
      const options = discovered.options;
      const declarations: NodeDeclaration[] = options.nodes.map((cls) => ({
        className: cls.name,
        metadata: this.accessor.node(cls),
        next: this.accessor.nextEdges(cls),
        instance: this.explorer.nodes.get(cls),
      }));
      const dag = compileModuleDag(options.name, declarations);
      const settings = this.resolveSettings(options);
      if (settings.cron) {
        const problem = validateCronExpression(settings.cron);
        if (problem)
          throw new DagCompileError(
            MocraMessages.invalidCron(options.name, settings.cron, problem),
            options.name,
          );
      }
      this.modules.set(options.name, {
        name: options.name,
        className: discovered.className,
        options,
        hooks: discovered.instance,
        dag,
        settings,
        config: Object.freeze({ ...(this.config.modules[options.name]?.settings ?? {}) }),
        account: options.account ?? 'default',
        platform: options.platform ?? 'default',
        downloadMiddleware: this.chain(
          options.name,
          'download',
          this.explorer.downloadMiddleware,
          options.downloadMiddleware,
        ),
        dataMiddleware: this.chain(
          options.name,
          'data',
          this.explorer.dataMiddleware,
          options.dataMiddleware,
        ),
        storeMiddleware: this.chain(
          options.name,
          'store',
          this.explorer.storeMiddleware,
          options.storeMiddleware,
          true,
        ),
        downloadPolicy: policyFromSettings(resolveModuleDownloadPolicy(options, this.config), settings),
        semaphore: new Semaphore(settings.concurrency),
      });
    }
  }

  get(name: string): RegisteredModule | undefined {
    return this.modules.get(name);
  }

  all(): RegisteredModule[] {
    return [...this.modules.values()];
  }

  names(): string[] {
    return [...this.modules.keys()];
  }

  /** Applies a runtime change of module settings; limiter and semaphore follow at once. */
  updateSettings(name: string, patch: Partial<ModuleRuntimeSettings>): RegisteredModule {
    const mod = this.modules.get(name);
    if (!mod) throw new Error(MocraMessages.unknownModuleInEvent(name, this.names()));
    if (patch.cron) {
      const problem = validateCronExpression(patch.cron);
      if (problem) throw new Error(MocraMessages.invalidCron(name, patch.cron, problem));
    }
    Object.assign(mod.settings, patch);
    mod.downloadPolicy = policyFromSettings(mod.downloadPolicy, mod.settings);
    mod.semaphore.setLimit(mod.settings.concurrency);
    return mod;
  }

  private resolveSettings(options: CrawlerModuleOptions): ModuleRuntimeSettings {
    const fromConfig = this.config.modules[options.name];
    const crawler = this.config.crawler;
    return {
      enabled: fromConfig?.enabled ?? true,
      rateLimit: fromConfig?.rate_limit ?? options.rateLimit ?? this.config.download_config.rate_limit,
      concurrency: fromConfig?.concurrency ?? options.concurrency ?? crawler.task_concurrency,
      priority: fromConfig?.priority ?? options.priority ?? 'normal',
      timeoutMs:
        (fromConfig?.timeout_secs ?? options.timeoutSecs ?? this.config.download_config.timeout) * 1000,
      cron: fromConfig?.cron ?? options.cron,
      responseCacheEnabled: fromConfig?.response_cache_enabled ?? options.responseCache?.enabled ?? false,
      responseCacheTtlSecs: fromConfig?.response_cache_ttl_secs ?? options.responseCache?.ttlSecs,
    };
  }

  /** Global middleware plus the ones the module lists, ordered by weight (lower first). */
  private chain<H>(
    module: string,
    kind: string,
    available: DiscoveredMiddleware<H>[],
    listed: string[] | undefined,
  ): H[];
  private chain<H>(
    module: string,
    kind: string,
    available: DiscoveredMiddleware<H>[],
    listed: string[] | undefined,
    named: true,
  ): Array<{ name: string; handler: H }>;
  private chain<H>(
    module: string,
    kind: string,
    available: DiscoveredMiddleware<H>[],
    listed: string[] | undefined,
    named = false,
  ): H[] | Array<{ name: string; handler: H }> {
    const names = new Set(listed ?? []);
    for (const name of names) {
      if (!available.some((m) => m.name === name)) {
        throw new DagCompileError(
          MocraMessages.unknownMiddleware(
            module,
            kind,
            name,
            available.map((m) => m.name),
          ),
          module,
        );
      }
    }
    const chosen = available.filter((m) => m.global || names.has(m.name)).sort((a, b) => a.weight - b.weight);
    return named ? chosen.map((m) => ({ name: m.name, handler: m.instance })) : chosen.map((m) => m.instance);
  }
}

/** The runtime settings (which the config API can change) override the resolved download policy. */
function policyFromSettings(
  base: ModuleDownloadPolicy,
  settings: ModuleRuntimeSettings,
): ModuleDownloadPolicy {
  return {
    ...base,
    rateLimit: settings.rateLimit,
    concurrency: settings.concurrency,
    timeoutMs: settings.timeoutMs,
    responseCache: {
      enabled: settings.responseCacheEnabled,
      ...(settings.responseCacheTtlSecs !== undefined ? { ttlSecs: settings.responseCacheTtlSecs } : {}),
    },
  };
}

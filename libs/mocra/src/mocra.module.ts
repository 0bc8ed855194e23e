import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { loadConfig } from './config/config.loader.js';
import type { MocraConfig } from './config/mocra-config.js';
import { MocraExplorer } from './discovery/mocra.explorer.js';
import { MocraMetadataAccessor } from './discovery/mocra-metadata.accessor.js';
import { createBuiltInDownloader } from './downloader/built-in-downloaders.js';
import { DownloadCoordinator } from './downloader/download-coordinator.js';
import type { Downloader } from './downloader/downloader.interface.js';
import type { RateLimiter } from './downloader/rate-limiter.js';
import { LocalCacheService } from './cache/cache.service.js';
import type { CacheService } from './cache/cache.service.js';
import { CrawlEngine } from './engine/crawl.engine.js';
import { CrawlerRegistry } from './engine/crawler.registry.js';
import { MocraCronScheduler } from './engine/cron.scheduler.js';
import { MocraOrchestrator } from './engine/mocra.orchestrator.js';
import { MocraService } from './engine/mocra.service.js';
import { MOCRA_METRICS_PROVIDERS, MocraMetrics } from './metrics/index.js';
import type {
  MocraModuleAsyncOptions,
  MocraModuleOptions,
  MocraModuleStaticOptions,
  MocraOptionsFactory,
} from './mocra-module.options.js';
import {
  CACHE_SERVICE,
  DOWNLOADER,
  MOCRA_CONFIG,
  MOCRA_MODULE_OPTIONS,
  QUEUE_MANAGER,
} from './mocra.tokens.js';
import { createQueueManager } from './queue/queue-manager.factory.js';
import type { QueueManager } from './queue/queue-manager.js';
import { MOCRA_RAFT_STATUS } from './control/raft-status.js';
import { RaftService } from './raft/raft.service.js';
import { ClusterSyncService } from './raft/cluster-sync.service.js';

const RESUME_POLL_MS = 25;

/** Resolves once the queue is no longer paused (pause is rare: a short poll beats wiring events through). */
function untilResumed(queue: QueueManager): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (queue.paused) return;
      clearInterval(timer);
      resolve();
    }, RESUME_POLL_MS);
  });
}

async function raftRateLimiter(raft: RaftService): Promise<RateLimiter> {
  const { RaftRateLimiter } = await import('./raft/coordination/raft-rate-limiter.js');
  return new RaftRateLimiter(raft.client, { holder: raft.nodeId });
}

const CORE_PROVIDERS: Provider[] = [
  MocraMetadataAccessor,
  MocraExplorer,
  CrawlerRegistry,
  CrawlEngine,
  MocraService,
  MocraCronScheduler,
  MocraOrchestrator,
  ClusterSyncService,
  ...MOCRA_METRICS_PROVIDERS,
  {
    provide: MOCRA_CONFIG,
    useFactory: (options: MocraModuleOptions): MocraConfig =>
      loadConfig(options.config, { baseDir: options.baseDir }),
    inject: [MOCRA_MODULE_OPTIONS],
  },
  // Backend code is imported by the factories (Raft here, Kafka and LevelDB in createQueueManager) only for a config
  // that selects it: an app with the in-memory queue and local cache boots without loading it or its packages.
  {
    // Started before anything that uses it: an async factory is awaited while the module graph resolves, so the
    // cache, limiter and control plane only ever see a member that joined its cluster. Null without [raft].
    provide: RaftService,
    useFactory: async (config: MocraConfig): Promise<RaftService | null> => {
      if (!config.raft) return null;
      const raft = new RaftService(config);
      await raft.start();
      return raft;
    },
    inject: [MOCRA_CONFIG],
  },
  {
    provide: MOCRA_RAFT_STATUS,
    useFactory: (raft: RaftService | null) => raft,
    inject: [RaftService],
  },
  {
    provide: CACHE_SERVICE,
    useFactory: async (config: MocraConfig, raft: RaftService | null): Promise<CacheService> => {
      if (config.cache.backend !== 'raft' || !raft) return new LocalCacheService();
      const { RaftCacheService } = await import('./raft/coordination/raft-cache.service.js');
      return new RaftCacheService(raft.client);
    },
    inject: [MOCRA_CONFIG, RaftService],
  },
  {
    provide: DownloadCoordinator,
    useFactory: async (
      config: MocraConfig,
      downloader: Downloader,
      cache: CacheService,
      metrics: MocraMetrics,
      raft: RaftService | null,
      queue: QueueManager,
    ): Promise<DownloadCoordinator> =>
      new DownloadCoordinator({
        config,
        downloader,
        cache,
        // cache.backend = "raft" makes module, group and host rates cluster-wide: slots come from the log
        ...(config.cache.backend === 'raft' && raft ? { rateLimiter: await raftRateLimiter(raft) } : {}),
        onRateLimitWait: (module, ms) => metrics.rateLimitWait(module, ms),
        pauseGate: () => (queue.paused ? untilResumed(queue) : undefined),
      }),
    inject: [MOCRA_CONFIG, DOWNLOADER, CACHE_SERVICE, MocraMetrics, RaftService, QUEUE_MANAGER],
  },
  {
    provide: QUEUE_MANAGER,
    useFactory: (config: MocraConfig) => createQueueManager(config),
    inject: [MOCRA_CONFIG],
  },
];

const EXPORTS = [
  MocraService,
  RaftService,
  MOCRA_RAFT_STATUS,
  ClusterSyncService,
  MocraMetrics,
  CrawlerRegistry,
  MOCRA_CONFIG,
  QUEUE_MANAGER,
  DOWNLOADER,
  CACHE_SERVICE,
  DownloadCoordinator,
];

function downloaderProvider(statics: MocraModuleStaticOptions): Provider {
  if (statics.downloader) return { provide: DOWNLOADER, useClass: statics.downloader };
  return {
    provide: DOWNLOADER,
    useFactory: (config: MocraConfig) => createBuiltInDownloader(config.download_config.downloader, config),
    inject: [MOCRA_CONFIG],
  };
}

/**
 * The mocra runtime as a Nest module. Import it once, in the root module; it is global, so crawler modules, nodes
 * and middleware anywhere in the app are discovered and can inject `MocraService`.
 */
@Module({})
export class MocraModule {
  static forRoot(options: MocraModuleOptions & MocraModuleStaticOptions): DynamicModule {
    return {
      module: MocraModule,
      global: true,
      imports: [DiscoveryModule, ScheduleModule.forRoot()],
      providers: [
        { provide: MOCRA_MODULE_OPTIONS, useValue: options },
        downloaderProvider(options),
        ...CORE_PROVIDERS,
      ],
      exports: EXPORTS,
    };
  }

  static forRootAsync(options: MocraModuleAsyncOptions & MocraModuleStaticOptions): DynamicModule {
    return {
      module: MocraModule,
      global: true,
      imports: [DiscoveryModule, ScheduleModule.forRoot(), ...(options.imports ?? [])],
      providers: [
        ...this.asyncOptionsProviders(options),
        downloaderProvider(options),
        ...CORE_PROVIDERS,
        ...(options.extraProviders ?? []),
      ],
      exports: EXPORTS,
    };
  }

  private static asyncOptionsProviders(options: MocraModuleAsyncOptions): Provider[] {
    if (options.useFactory) {
      return [
        { provide: MOCRA_MODULE_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
      ];
    }
    const factoryClass: Type<MocraOptionsFactory> | undefined = options.useClass ?? options.useExisting;
    if (!factoryClass) {
      throw new Error('MocraModule.forRootAsync: give one of useFactory, useClass or useExisting');
    }
    const providers: Provider[] = [
      {
        provide: MOCRA_MODULE_OPTIONS,
        useFactory: (factory: MocraOptionsFactory) => factory.createMocraOptions(),
        inject: [factoryClass],
      },
    ];
    if (options.useClass) providers.push({ provide: options.useClass, useClass: options.useClass });
    return providers;
  }
}

/**
 * The public API of @mocra/core. Anything not exported here is internal and may change without notice.
 */
// Nest module and runtime
export { MocraModule } from './mocra.module.js';
export type {
  MocraModuleOptions,
  MocraModuleAsyncOptions,
  MocraModuleStaticOptions,
  MocraOptionsFactory,
} from './mocra-module.options.js';
export {
  MOCRA_CONFIG,
  QUEUE_MANAGER,
  DOWNLOADER,
  CACHE_SERVICE,
  InjectCacheService,
  InjectMocraConfig,
  InjectQueueManager,
  InjectDownloader,
} from './mocra.tokens.js';
export { MocraService } from './engine/mocra.service.js';
export type { RunHandle, RunSummary } from './engine/run-summary.js';
export { SerialModuleBusyError } from './engine/dispatch-gate.js';
export type { EngineStats } from './engine/engine-stats.js';
export type { ModuleRuntimeSettings } from './engine/crawler.registry.js';

// Decorators and the programming model
export { CrawlerModule } from './decorators/crawler-module.decorator.js';
export type { CrawlerModuleOptions, ResponseCacheOptions } from './decorators/crawler-module.decorator.js';
export { Node, Next } from './decorators/node.decorator.js';
export type { NodeOptions, NodePlacement } from './decorators/node.decorator.js';
export { DownloadMiddleware, DataMiddleware, StoreMiddleware } from './decorators/middleware.decorators.js';
export type { MiddlewareOptions } from './decorators/middleware.decorators.js';
export type {
  CrawlerNode,
  CrawlerModuleHooks,
  ModuleRunSummary,
  RunCounters,
  GenerateResult,
  MaybePromise,
} from './engine/crawler-node.interface.js';
export type { GenerateContext, ParseContext, ModuleRunContext, CrawlScope } from './engine/crawl-context.js';
export { ParseOutput } from './parser/parse-output.js';
export type { NextDispatch } from './parser/parse-output.js';
export type {
  DataItem,
  DownloadMiddlewareHandler,
  DataMiddlewareHandler,
  StoreMiddlewareHandler,
} from './middleware/middleware.interfaces.js';
export { JsonlStore } from './store/jsonl.store.js';
export type { JsonlStoreOptions } from './store/jsonl.store.js';
export { DagCompileError } from './dag/dag-compile.error.js';
export type { ModuleDag, DagNode } from './dag/module-dag.js';

// Requests, responses, downloading
export { Request } from './request/request.js';
export { Response } from './request/response.js';
export type { RequestData, ResponseData, HttpMethod, Priority } from './request/request-data.js';
export type { Downloader, DownloadOptions } from './downloader/downloader.interface.js';
export { DownloadError } from './downloader/download.error.js';
export { AxiosDownloader } from './downloader/axios.downloader.js';
export { UndiciDownloader } from './downloader/undici.downloader.js';
export { createBuiltInDownloader, BUILT_IN_DOWNLOADERS } from './downloader/built-in-downloaders.js';
export { DownloadCoordinator } from './downloader/download-coordinator.js';
export type { ModuleDownloadPolicy } from './downloader/download-coordinator.js';
export { LocalCacheService } from './cache/cache.service.js';
export type { CacheService, CacheValue } from './cache/cache.service.js';

// Configuration
export { loadConfig } from './config/config.loader.js';
export { ConfigError } from './config/config.error.js';
export type { MocraConfig } from './config/mocra-config.js';

// Queue contract
export type {
  TaskEvent,
  Route,
  RoutingMeta,
  ExecutionMeta,
  Envelope,
  PipelineEnvelope,
  TaskDispatchEnvelope,
  RequestDispatchEnvelope,
  ResponseDispatchEnvelope,
  NodeDispatchEnvelope,
  NodeErrorEnvelope,
  DeadLetterEnvelope,
  ErrorKind,
} from './queue/envelope.js';
export type { QueueManager, QueueMessage, QueueStateStore } from './queue/queue-manager.js';
export type { DeadLetterStore } from './queue/dlq/dead-letter.store.js';
export { MemoryDeadLetterStore } from './queue/dlq/memory-dead-letter.store.js';
export { LevelDeadLetterStore } from './queue/dlq/level-dead-letter.store.js';
export { LocalQueueManager } from './queue/local/local-queue.manager.js';
export { DurableLocalQueueManager } from './queue/durable/durable-local-queue.manager.js';
export { createQueueManager } from './queue/queue-manager.factory.js';
export * from './queue/kafka/index.js';

// HTTP control plane and metrics
export { MocraControlModule, startMocraHttp, ApiKeyGuard, MOCRA_RAFT_STATUS } from './control/index.js';
export type {
  MocraHttpAddress,
  MocraHttpOptions,
  RaftStatus,
  RaftPeerStatus,
  RaftStatusSource,
} from './control/index.js';
export { MocraMetrics, MOCRA_METRIC, statusClassOf } from './metrics/index.js';
export type { MocraMetricName, StatusClass } from './metrics/index.js';

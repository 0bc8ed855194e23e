import { Inject } from '@nestjs/common';

/** The validated, frozen `MocraConfig`. */
export const MOCRA_CONFIG = Symbol('mocra:config');
/** The options given to `MocraModule.forRoot` / the factory result of `forRootAsync`. */
export const MOCRA_MODULE_OPTIONS = Symbol('mocra:module-options');
/** The active `QueueManager` (local or Kafka). */
export const QUEUE_MANAGER = Symbol('mocra:queue-manager');
/** The active `Downloader`; replace it through `MocraModule.forRoot({ downloader })`. */
export const DOWNLOADER = Symbol('mocra:downloader');

/** The `CacheService` (local now; Raft-backed when `cache.backend = "raft"`). */
export const CACHE_SERVICE = Symbol('mocra:cache-service');

export const InjectMocraConfig = (): ParameterDecorator => Inject(MOCRA_CONFIG);
export const InjectQueueManager = (): ParameterDecorator => Inject(QUEUE_MANAGER);
export const InjectDownloader = (): ParameterDecorator => Inject(DOWNLOADER);
export const InjectCacheService = (): ParameterDecorator => Inject(CACHE_SERVICE);

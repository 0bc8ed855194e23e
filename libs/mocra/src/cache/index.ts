export {
  LocalCacheService,
  type CacheService,
  type CacheValue,
  type LocalCacheServiceOptions,
} from './cache.service.js';

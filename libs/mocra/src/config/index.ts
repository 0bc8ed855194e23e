export { ConfigError, formatConfigIssue, type ConfigIssue } from './config.error.js';
export { defaultConfig, loadConfig, type LoadConfigOptions } from './config.loader.js';
export { describeConfigKeys, renderConfigKeysMarkdown, type ConfigKeyRow } from './config-docs.js';
export type * from './mocra-config.js';
export { CACHE_BACKENDS } from './sections/cache.config.js';
export { QUEUE_CODECS } from './sections/channel.config.js';
export { LOG_FORMATS, LOG_LEVELS, LOG_OUTPUT_TYPES } from './sections/logger.config.js';
export { BACKOFF_TYPES, DLQ_MODES } from './sections/policy.config.js';

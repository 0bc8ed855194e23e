export * from './core/types.js';
export * from './core/errors.js';
export { RawNode } from './core/raw-node.js';
export { encodeConfChange, decodeConfChange } from './core/conf-change-codec.js';
export { crc32 } from './core/crc32.js';
export { MemoryStorage } from './storage/memory-storage.js';
export * from './session/index.js';
export * from './linearizability/index.js';
export * from './sim/index.js';

export { CoordinationStateMachine } from './coordination-state-machine.js';
export {
  CoordinationClient,
  type CacheBatchWrite,
  type CoordinationClientOptions,
  type RateGrantRequest,
  type Timestamped,
} from './coordination-client.js';
export type { CoordinationPort } from './coordination.port.js';
export { RaftCacheService } from './raft-cache.service.js';
export { RaftRateLimiter, type RaftRateLimiterOptions } from './raft-rate-limiter.js';
export type {
  CacheWrite,
  ConfigRecord,
  CoordinationCommand,
  CoordinationOp,
  CronClaim,
  LockGrant,
  LockState,
  NodeRecord,
  PauseState,
  RateGrant,
  StatusRecord,
} from './coordination.commands.js';
export type { NodeView } from './node-registry.js';
export {
  COORDINATION_COMMAND_VERSION,
  decodeCoordinationCommand,
  encodeCoordinationCommand,
} from './coordination-command.codec.js';
export { decodeCoordinationResult } from './coordination-result.codec.js';
export { COORDINATION_SNAPSHOT_VERSION } from './coordination-snapshot.codec.js';
export {
  CoordinationCommandError,
  CoordinationDecodeError,
  RateGrantUnavailableError,
} from './coordination.errors.js';

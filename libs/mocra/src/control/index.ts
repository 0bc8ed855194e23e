export { MocraControlModule } from './mocra-control.module.js';
export { startMocraHttp, type MocraHttpAddress, type MocraHttpOptions } from './start-mocra-http.js';
export { ApiKeyGuard } from './api-key.guard.js';
export {
  MOCRA_RAFT_STATUS,
  type RaftPeerStatus,
  type RaftStatus,
  type RaftStatusSource,
} from './raft-status.js';
export { DispatchTaskDto } from './dispatch-task.dto.js';
export { UpdateModuleDto } from './update-module.dto.js';
export { DlqQueryDto } from './dlq-query.dto.js';

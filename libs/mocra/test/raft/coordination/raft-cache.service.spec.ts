import { describe } from 'vitest';
import {
  CoordinationClient,
  CoordinationStateMachine,
  RaftCacheService,
} from '../../../src/raft/coordination/index.js';
import { cacheServiceContract } from '../../cache/cache-service.contract.js';
import { InProcessPort } from './support/in-process-port.js';

// Unit test: one CoordinationStateMachine replica behind an in-process port, no Raft in between.
describe('CacheService contract: RaftCacheService over one replica (unit test, in-process port)', () => {
  cacheServiceContract((clock) => {
    const machine = new CoordinationStateMachine();
    return new RaftCacheService(
      new CoordinationClient(new InProcessPort(machine), machine, { clock: clock.now }),
    );
  });
});

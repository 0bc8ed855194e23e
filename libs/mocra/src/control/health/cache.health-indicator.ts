import { Inject, Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { MocraConfig } from '../../config/mocra-config.js';
import { MOCRA_CONFIG } from '../../mocra.tokens.js';
import { MOCRA_RAFT_STATUS, type RaftStatusSource } from '../raft-status.js';

/**
 * `cache`: the local cache lives in this process, so it is up while the process answers. With
 * `backend = "raft"` it can only serve consistent reads while the cluster has a leader.
 */
@Injectable()
export class CacheHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(MOCRA_CONFIG) private readonly config: MocraConfig,
    @Optional() @Inject(MOCRA_RAFT_STATUS) private readonly raft?: RaftStatusSource,
  ) {}

  check(): HealthIndicatorResult<'cache'> {
    const session = this.health.check('cache');
    const backend = this.config.cache.backend;
    if (backend !== 'raft') return session.up({ backend });
    if (!this.raft)
      return session.down({ backend, message: 'cache backend is "raft" but no Raft runtime is running' });
    const leaderId = this.raft.raftStatus().leaderId;
    return leaderId
      ? session.up({ backend, leaderId })
      : session.down({ backend, message: 'no Raft leader: replicated cache cannot serve reads' });
  }
}

import { Inject, Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { MocraConfig } from '../../config/mocra-config.js';
import { MOCRA_CONFIG } from '../../mocra.tokens.js';
import { MOCRA_RAFT_STATUS, type RaftStatusSource } from '../raft-status.js';

/** `raft`: only checked when `[raft]` is configured; up while a leader is known. */
@Injectable()
export class RaftHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(MOCRA_CONFIG) private readonly config: MocraConfig,
    @Optional() @Inject(MOCRA_RAFT_STATUS) private readonly raft?: RaftStatusSource,
  ) {}

  get configured(): boolean {
    return this.config.raft !== undefined;
  }

  check(): HealthIndicatorResult<'raft'> {
    const session = this.health.check('raft');
    if (!this.raft) return session.down({ message: '[raft] is configured but no Raft runtime is running' });
    try {
      const s = this.raft.raftStatus();
      const healthyPeers = s.peers.filter((p) => p.healthy).length;
      const data = { leaderId: s.leaderId ?? null, term: s.term, commitIndex: s.commitIndex, healthyPeers };
      return s.leaderId
        ? session.up({ ...data, peers: s.peers.length })
        : session.down({ ...data, peers: s.peers.length, message: 'no Raft leader' });
    } catch (err) {
      return session.down({ message: err instanceof Error ? err.message : String(err) });
    }
  }
}

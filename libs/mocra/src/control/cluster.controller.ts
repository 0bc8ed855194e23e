import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Inject, Optional, ServiceUnavailableException, UseGuards } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { MocraConfig } from '../config/mocra-config.js';
import { MOCRA_CONFIG } from '../mocra.tokens.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { MOCRA_VERSION } from './mocra-version.js';
import { MOCRA_RAFT_STATUS, type RaftStatusSource } from './raft-status.js';
import { ClusterSyncService } from '../raft/cluster-sync.service.js';

export interface ClusterNodeView {
  id: string;
  hostname: string;
  apiHost: string | null;
  apiPort: number | null;
  startedAtMs: number;
  uptimeMs: number;
  version: string;
  self: boolean;
  /** With [raft]: the member's Raft address and whether its heartbeats arrive. */
  raftAddr?: string;
  alive?: boolean;
}

export interface ClusterLeaderView {
  mode: 'local' | 'raft';
  leaderId: string | null;
  leaderAddr: string | null;
  isLocalLeader: boolean;
  term?: number;
}

const STARTED_AT_MS = Date.now();

/** `GET /cluster/nodes` and `/cluster/leader`: one local node unless a Raft runtime reports a cluster. */
@Controller('cluster')
@UseGuards(ApiKeyGuard)
export class ClusterController {
  constructor(
    @Inject(MOCRA_CONFIG) private readonly config: MocraConfig,
    private readonly adapterHost: HttpAdapterHost,
    @Optional() @Inject(MOCRA_RAFT_STATUS) private readonly raft?: RaftStatusSource,
    @Optional() private readonly cluster?: ClusterSyncService,
  ) {}

  @Get('nodes')
  nodes(): ClusterNodeView[] {
    if (this.cluster?.enabled) {
      // every mocra process of the cluster, from the replicated node registry
      const own = this.config.crawler.node_id;
      return this.cluster.nodes().map((n) => ({
        id: n.nodeId,
        hostname: n.meta?.hostname ?? '',
        apiHost: null,
        apiPort: null,
        startedAtMs: n.meta?.startedAtMs ?? 0,
        uptimeMs: n.meta ? Math.max(0, Date.now() - n.meta.startedAtMs) : 0,
        version: n.meta?.version || MOCRA_VERSION,
        self: n.nodeId === own,
        raftAddr: n.address,
        alive: n.alive,
      }));
    }
    const address = this.listeningAddress();
    return [
      {
        id: this.config.crawler.node_id,
        hostname: hostname(),
        apiHost: address?.address ?? this.config.api?.host ?? null,
        apiPort: address?.port ?? this.config.api?.port ?? null,
        startedAtMs: STARTED_AT_MS,
        uptimeMs: Math.round(process.uptime() * 1000),
        version: MOCRA_VERSION,
        self: true,
      },
    ];
  }

  @Get('leader')
  leader(): ClusterLeaderView {
    const own = this.config.crawler.node_id;
    if (!this.raft) return { mode: 'local', leaderId: own, leaderAddr: null, isLocalLeader: true };
    const s = this.raft.raftStatus();
    if (!s.leaderId) throw new ServiceUnavailableException('no Raft leader (election in progress)');
    return {
      mode: 'raft',
      leaderId: s.leaderId,
      leaderAddr: s.leaderAddr ?? null,
      isLocalLeader: s.leaderId === s.nodeId,
      term: s.term,
    };
  }

  /** The address the server really listens on (port 0 in config-less tests resolves here). */
  private listeningAddress(): AddressInfo | undefined {
    const server: unknown = this.adapterHost.httpAdapter?.getHttpServer();
    const address = (server as { address?: () => unknown } | undefined)?.address?.();
    return address && typeof address === 'object' ? (address as AddressInfo) : undefined;
  }
}

import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type * as RaftLibrary from '@mocra/raft';
import { ProposalDroppedError, ReadIndexLostError, RaftTimeoutError } from '@mocra/raft/errors';
import type { LeaderChange, RaftLogger, RaftNode, RaftNodeStatus } from '@mocra/raft';
import type { MocraConfig } from '../config/mocra-config.js';
import type { RaftConfig } from '../config/sections/raft.config.js';
import type { RaftStatus, RaftStatusSource } from '../control/raft-status.js';
import { loadBackendPackage } from '../common/backend-package.js';
import type { CoordinationClient } from './coordination/coordination-client.js';
import type { CoordinationPort } from './coordination/coordination.port.js';
import type { CoordinationStateMachine } from './coordination/coordination-state-machine.js';

/** How often the leader stamps the replicated clock when nothing else is written, so leases and TTLs run out. */
const IDLE_CLOCK_MS = 1_000;
/** How long start() tries the configured peers before it gives up with an error naming them. */
const JOIN_TIMEOUT_MS = 20_000;
/**
 * How long a write or linearizable read waits for a leader (an election, a leader kill) before it fails. Only
 * failures that leave nothing in the log are retried: a dropped proposal was never appended and a lost ReadIndex
 * round read nothing, so retrying cannot apply a command twice.
 */
const NO_LEADER_RETRY_MS = 15_000;
const NO_LEADER_BACKOFF_MS = 50;
/**
 * A write forwarded to a leader that then died is never answered: RaftNode would only time it out after 10 s,
 * stalling rate-limit grants and locks that long. Once the leader changes, a write still pending after this many
 * election timeouts (plenty for a new leader to commit what it inherited) fails at once with an unknown outcome.
 */
const LOST_WRITE_ELECTIONS = 2;

export type LeaderListener = (change: LeaderChange) => void;

/** What start() loads: @mocra/raft (with LevelDB under it) and the coordination state machine with its client. */
interface RaftRuntime {
  readonly lib: typeof RaftLibrary;
  readonly machine: CoordinationStateMachine;
  readonly client: CoordinationClient;
}

/**
 * This process's member of the coordination cluster: a RaftNode (classic-level log in `[raft] data_dir`, TCP on
 * `[raft] addr`) replicating the CoordinationStateMachine, and the typed client over it. With `peers` empty the
 * node founds a one-member cluster (or restarts its own); otherwise it joins through any reachable peer. The raft
 * address is the member's identity, so it must stay the same across restarts of a member.
 *
 * The class is an injection token that the control plane imports, so this file loads only Raft's error classes
 * (`@mocra/raft/errors`) itself: start() loads the rest, and only the provider for a config with `[raft]` calls it.
 */
export class RaftService implements RaftStatusSource, OnApplicationShutdown {
  private runtime: RaftRuntime | undefined;
  private node: RaftNode | undefined;
  private readonly logger = new Logger('mocra:raft');
  private clockTimer: NodeJS.Timeout | undefined;
  private lastWriteAt = 0;
  private readonly listeners = new Set<LeaderListener>();
  /** Pending writes, told about each leader change. */
  private readonly pendingWrites = new Set<() => void>();
  private fatal: Error | undefined;

  constructor(private readonly config: MocraConfig) {}

  /** The typed client over the replicated state machine; start() creates it. */
  get client(): CoordinationClient {
    return this.loaded().client;
  }

  private get raftConfig(): RaftConfig {
    const raft = this.config.raft;
    if (!raft) throw new Error('RaftService: [raft] is not configured');
    return raft;
  }

  get nodeId(): string {
    return this.raftConfig.addr;
  }

  /** Opens the log, starts the transport and joins or founds the cluster. Errors name the key or the peers. */
  async start(): Promise<void> {
    const raft = this.raftConfig;
    this.runtime ??= await this.load();
    const { LevelStorage, RaftNode, TcpTransport } = this.runtime.lib;
    const clusterId = this.config.name;
    const logger: RaftLogger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (msg) => this.logger.warn(msg),
      error: (msg) => this.logger.error(msg),
    };
    const storage = await LevelStorage.open(raft.data_dir, { nodeId: raft.addr, clusterId, logger });
    const [host, port] = splitHostPort(raft.addr);
    const transport = new TcpTransport({
      nodeId: raft.addr,
      clusterId,
      listen: { host, port },
      flushOnSend: true,
      logger,
    });
    const founding = raft.peers.length === 0;
    const node = new RaftNode({
      id: raft.addr,
      storage,
      transport,
      stateMachine: this.runtime.machine,
      advertiseAddress: raft.addr,
      ...(founding ? { initialMembers: { [raft.addr]: raft.addr } } : { join: [...raft.peers] }),
      heartbeatIntervalMs: raft.heartbeat_interval_ms,
      electionTimeoutMs: raft.election_timeout_ms,
      snapshotInterval: raft.snapshot_interval,
      snapshotKeepEntries: Math.max(100, raft.snapshot_interval),
      joinTimeoutMs: JOIN_TIMEOUT_MS,
      logger,
    });
    node.on('leader', (change: LeaderChange) => {
      this.logger.log(`leader is now ${change.leader || 'unknown'} (term ${change.term})`);
      for (const pending of this.pendingWrites) pending();
      for (const listener of this.listeners) listener(change);
    });
    node.on('fatal', (error: Error) => {
      this.fatal = error;
      this.logger.error(error.message);
    });
    this.node = node;
    try {
      await node.start();
    } catch (error) {
      await node.stop().catch(() => undefined);
      this.node = undefined;
      if (error instanceof RaftTimeoutError) {
        throw new Error(
          `[raft] peers: none of ${raft.peers.join(', ')} accepted ${raft.addr} into cluster "${clusterId}" within ` +
            `${JOIN_TIMEOUT_MS / 1000} s (${error.message})`,
          { cause: error },
        );
      }
      throw error;
    }
    // The control plane and the crawl write from their first moment: a member serves once it knows a leader.
    await this.waitForLeader(raft, clusterId);
    this.clockTimer = setInterval(() => this.stampIdleClock(), IDLE_CLOCK_MS);
    this.clockTimer.unref();
    this.logger.log(
      `member ${raft.addr} of cluster "${clusterId}" started (${founding ? 'founding or restarting' : `joined via ${raft.peers.join(', ')}`}; log in ${raft.data_dir})`,
    );
  }

  /** Whether `error` is Raft's timeout, after which a write's outcome is unknown (it may still commit). */
  isTimeout(error: unknown): boolean {
    return error instanceof RaftTimeoutError;
  }

  isLeader(): boolean {
    return this.node?.isLeader() ?? false;
  }

  /** Called on every leader change seen by this member; returns the unsubscribe function. */
  onLeaderChange(listener: LeaderListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): RaftNodeStatus | undefined {
    return this.node?.status();
  }

  raftStatus(): RaftStatus {
    if (this.fatal) throw this.fatal;
    const s = this.raft().status();
    const members = { ...s.members };
    const ids = new Set([...s.voters, ...s.learners]);
    return {
      nodeId: s.id,
      addr: members[s.id] ?? s.id,
      leaderId: s.leader || undefined,
      leaderAddr: s.leader ? (members[s.leader] ?? s.leader) : undefined,
      term: s.term,
      commitIndex: s.commit,
      peers: [...ids]
        .filter((id) => id !== s.id)
        .map((id) => ({
          id,
          addr: members[id] ?? id,
          // the leader knows who answered lately; a follower only knows whether a leader is heard from
          healthy: s.role === 'leader' ? (s.followers[id]?.recentActive ?? false) : s.leader !== '',
        })),
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async stop(): Promise<void> {
    clearInterval(this.clockTimer);
    const node = this.node;
    this.node = undefined;
    await node?.stop();
  }

  private async waitForLeader(raft: RaftConfig, clusterId: string): Promise<void> {
    const deadline = Date.now() + JOIN_TIMEOUT_MS;
    while (!this.node?.leaderId()) {
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(
          `[raft] member ${raft.addr} of cluster "${clusterId}" found no leader within ${JOIN_TIMEOUT_MS / 1000} s ` +
            `(voters: ${this.status()?.voters.join(', ') || 'none'}; a majority of them must be running)`,
        );
      }
      await sleep(raft.heartbeat_interval_ms);
    }
  }

  private proposeUntilLost(command: Uint8Array): Promise<Uint8Array> {
    const node = this.raft();
    const lostAfterMs = LOST_WRITE_ELECTIONS * this.raftConfig.election_timeout_ms;
    const proposed = node.propose(command);
    return new Promise<Uint8Array>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onLeaderChange = (): void => {
        timer ??= setTimeout(() => {
          done();
          reject(
            new RaftTimeoutError(
              'proposal',
              this.nodeId,
              lostAfterMs,
              'the leader changed while it was pending; its outcome is unknown',
            ),
          );
        }, lostAfterMs);
      };
      const done = (): void => {
        clearTimeout(timer);
        this.pendingWrites.delete(onLeaderChange);
      };
      this.pendingWrites.add(onLeaderChange);
      proposed.then(
        (result) => {
          done();
          resolve(result);
        },
        (error: unknown) => {
          done();
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  private async whileNoLeader<T>(attempt: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + NO_LEADER_RETRY_MS;
    for (;;) {
      try {
        return await attempt();
      } catch (error) {
        const retriable = error instanceof ProposalDroppedError || error instanceof ReadIndexLostError;
        if (!retriable || !this.node || Date.now() > deadline) throw error;
        await sleep(NO_LEADER_BACKOFF_MS);
      }
    }
  }

  private async load(): Promise<RaftRuntime> {
    const [lib, { CoordinationStateMachine }, { CoordinationClient }] = await Promise.all([
      loadBackendPackage('[raft]', '@mocra/raft', () => import('@mocra/raft')),
      import('./coordination/coordination-state-machine.js'),
      import('./coordination/coordination-client.js'),
    ]);
    const port: CoordinationPort = {
      propose: (command) => {
        this.lastWriteAt = Date.now();
        return this.whileNoLeader(() => this.proposeUntilLost(command));
      },
      read: (query) => this.whileNoLeader(() => this.raft().read(query)),
      localRead: (query) => query(),
    };
    const machine = new CoordinationStateMachine();
    return { lib, machine, client: new CoordinationClient(port, machine) };
  }

  private loaded(): RaftRuntime {
    if (!this.runtime) throw new Error(`raft member ${this.config.raft?.addr ?? '?'} is not started`);
    return this.runtime;
  }

  private raft(): RaftNode {
    if (!this.node) throw new Error(`raft member ${this.config.raft?.addr ?? '?'} is not running`);
    return this.node;
  }

  private stampIdleClock(): void {
    if (!this.isLeader() || Date.now() - this.lastWriteAt < IDLE_CLOCK_MS) return;
    this.client
      .tick()
      .catch((error: unknown) => this.logger.debug(`idle clock stamp failed: ${String(error)}`));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function splitHostPort(addr: string): [string, number] {
  const i = addr.lastIndexOf(':');
  const host = addr.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return [host, Number(addr.slice(i + 1))];
}

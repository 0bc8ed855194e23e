import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { unpack } from 'msgpackr';
import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { MocraConfig } from '../config/mocra-config.js';
import { CrawlerRegistry, type ModuleRuntimeSettings } from '../engine/crawler.registry.js';
import { SerialModuleBusyError, type DispatchGate } from '../engine/dispatch-gate.js';
import { MocraService } from '../engine/mocra.service.js';
import type { EngineStats } from '../engine/engine-stats.js';
import type { RunHandle, RunSummary } from '../engine/run-summary.js';
import { MOCRA_CONFIG } from '../mocra.tokens.js';
import { RaftService } from './raft.service.js';

/** How often a member looks at the replicated pause flag and module settings: well inside the 1 s promise. */
const WATCH_INTERVAL_MS = 100;
const HEARTBEAT_INTERVAL_MS = 2_000;
/** A node missing this many heartbeats is shown as not alive in /cluster/nodes. */
const ALIVE_TTL_MS = 3 * HEARTBEAT_INTERVAL_MS;
const CONFIG_PREFIX = 'module:';
const STATUS_PREFIX = 'node/';

/** Module settings as stored in the replicated config store (null = "no cron", which MessagePack keeps). */
type StoredSettings = Partial<Omit<ModuleRuntimeSettings, 'cron'>> & { cron?: string | null };

export interface ClusterNodeRecord {
  nodeId: string;
  /** The member's Raft address. */
  address: string;
  alive: boolean;
  lastSeen: number;
  /** What the member told about itself when it registered. */
  meta: ClusterNodeMeta | undefined;
}

/** What each member publishes about itself every heartbeat (expires with it). */
export interface ClusterNodeStatus {
  nodeId: string;
  at: number;
  stats: EngineStats;
  activeRuns: RunSummary[];
}

export interface ClusterNodeMeta {
  hostname: string;
  startedAtMs: number;
  version: string;
}

/**
 * Makes the crawl's control state cluster-wide when `[raft]` is configured: pause/resume and module settings
 * changed through any member are written to the replicated log and every member applies them (it watches its own
 * replica); cron fire times and serial modules are arbitrated through it (the DispatchGate); each member registers
 * itself and heartbeats so `/cluster/nodes` lists the cluster. Without `[raft]` it does nothing and the control
 * plane acts on this process alone.
 */
@Injectable()
export class ClusterSyncService implements OnApplicationBootstrap, OnApplicationShutdown, DispatchGate {
  private readonly logger = new Logger('mocra:cluster');
  private watchTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private appliedPause: boolean | undefined;
  private readonly appliedRevisions = new Map<string, number>();
  private readonly tokensByRun = new Map<string, Record<string, number>>();
  private readonly meta: ClusterNodeMeta = { hostname: hostname(), startedAtMs: Date.now(), version: '' };

  constructor(
    @Inject(MOCRA_CONFIG) private readonly config: MocraConfig,
    private readonly mocra: MocraService,
    private readonly registry: CrawlerRegistry,
    @Optional() @Inject(RaftService) private readonly raft: RaftService | null,
  ) {}

  get enabled(): boolean {
    return this.raft !== null && this.raft !== undefined;
  }

  onApplicationBootstrap(): void {
    const raft = this.raft;
    if (!raft) return;
    this.mocra.useDispatchGate(this);
    this.watch();
    this.watchTimer = setInterval(() => this.watch(), WATCH_INTERVAL_MS);
    this.watchTimer.unref();
    void this.heartbeat(true);
    this.heartbeatTimer = setInterval(() => void this.heartbeat(false), HEARTBEAT_INTERVAL_MS);
    this.heartbeatTimer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.watchTimer);
    clearInterval(this.heartbeatTimer);
  }

  /** Pauses every member: resolves once the flag is in the log and this member applied it. */
  async setPaused(paused: boolean, reason?: string): Promise<boolean> {
    const raft = this.requireRaft();
    const state = await raft.client.pauseSet(paused, this.config.crawler.node_id, reason);
    this.applyPause(state.paused);
    return state.paused;
  }

  /** Changes a module's settings on every member; resolves with the settings applied on this member. */
  async updateModule(module: string, patch: Partial<ModuleRuntimeSettings>): Promise<ModuleRuntimeSettings> {
    const raft = this.requireRaft();
    const name = `${CONFIG_PREFIX}${module}`;
    const current = raft.client.configGet<StoredSettings>(name)?.value ?? {};
    const merged: StoredSettings = { ...current };
    for (const [key, value] of Object.entries(patch) as Array<[keyof ModuleRuntimeSettings, unknown]>) {
      (merged as Record<string, unknown>)[key] = key === 'cron' && value === undefined ? null : value;
    }
    const revision = await raft.client.configPut(name, merged);
    this.appliedRevisions.set(name, revision);
    return this.mocra.updateModule(module, fromStored(merged));
  }

  nodes(): ClusterNodeRecord[] {
    const raft = this.requireRaft();
    return raft.client.nodeList(ALIVE_TTL_MS).map((n) => ({
      nodeId: n.nodeId,
      address: n.address,
      alive: n.alive,
      lastSeen: n.lastSeen,
      meta: n.meta ? readMeta(n.meta) : undefined,
    }));
  }

  /**
   * DispatchGate: a cron fire starts a run only on the member that claims its fire time in the log; a serial
   * module's run holds a cluster lock (lease module_locker_ttl, renewed while the run lasts, released at its end).
   */
  async dispatch(
    modules: readonly string[],
    start: () => RunHandle,
    fireTime?: number,
  ): Promise<RunHandle | undefined> {
    const raft = this.requireRaft();
    const nodeId = this.config.crawler.node_id;
    if (fireTime !== undefined) {
      const claim = await raft.client.cronClaim(modules.join(','), fireTime, nodeId);
      if (!claim.claimed) return undefined;
    }
    const serial = modules.filter((m) => this.registry.get(m)?.options.serialExecution === true);
    if (serial.length === 0) return start();
    return this.dispatchSerial(serial, start);
  }

  private async dispatchSerial(serial: string[], start: () => RunHandle): Promise<RunHandle> {
    const raft = this.requireRaft();
    const holder = `${this.config.crawler.node_id}/${randomUUID()}`;
    const leaseMs = this.config.crawler.module_locker_ttl * 1000;
    const held: Array<{ name: string; token: number }> = [];
    const releaseAll = async () => {
      await Promise.all(held.map((h) => raft.client.lockRelease(h.name, holder, h.token).catch(() => false)));
    };
    for (const module of serial) {
      const name = `serial:${module}`;
      // acquire is idempotent for one holder, so an attempt whose outcome was lost (sent to a leader that died)
      // is asked again: it returns the lease it may have taken, with the same token, or takes it now
      const grant = await raft.client
        .lockAcquire(name, holder, leaseMs)
        .catch((error: unknown) =>
          raft.isTimeout(error) ? raft.client.lockAcquire(name, holder, leaseMs) : Promise.reject(error),
        );
      if (!grant.granted) {
        await releaseAll();
        throw new SerialModuleBusyError(module, grant.holder, grant.expiresAt);
      }
      held.push({ name, token: grant.token });
    }
    let run: RunHandle;
    try {
      run = start();
    } catch (error) {
      await releaseAll();
      throw error;
    }
    const tokens = Object.fromEntries(held.map((h) => [h.name, h.token]));
    // recorded before the first node runs (start() only queues the run), so generate() can already read them
    this.tokensByRun.set(run.runId, tokens);
    this.logger.log(
      `run ${run.runId} holds ${held.map((h) => `${h.name} (fencing token ${h.token})`).join(', ')}`,
    );
    const renew = setInterval(
      () => {
        for (const h of held) {
          raft.client.lockRenew(h.name, holder, h.token, leaseMs).then(
            (grant) => {
              // the lease lapsed (renewals failed for a whole lease): the fencing token now lets the resource
              // refuse this run's writes once the next holder started
              if (!grant.granted)
                this.logger.warn(`run ${run.runId}: lost ${h.name} (fencing token ${h.token})`);
            },
            (error: unknown) =>
              this.logger.warn(`run ${run.runId}: renewing ${h.name} failed: ${String(error)}`),
          );
        }
      },
      Math.max(100, leaseMs / 3),
    );
    renew.unref();
    void run.finished
      .catch(() => undefined)
      .finally(() => {
        clearInterval(renew);
        this.tokensByRun.delete(run.runId);
        void releaseAll();
      });
    return { ...run, fencingTokens: tokens };
  }

  fencingTokens(runId: string): Record<string, number> | undefined {
    return this.tokensByRun.get(runId);
  }

  private watch(): void {
    const raft = this.raft;
    if (!raft) return;
    try {
      this.applyPause(raft.client.pauseGet().paused);
      for (const record of raft.client.configList<StoredSettings>()) {
        if (!record.name.startsWith(CONFIG_PREFIX)) continue;
        if ((this.appliedRevisions.get(record.name) ?? 0) >= record.revision) continue;
        this.appliedRevisions.set(record.name, record.revision);
        const module = record.name.slice(CONFIG_PREFIX.length);
        if (!this.registry.get(module)) continue;
        this.mocra.updateModule(module, fromStored(record.value));
        this.logger.log(`module "${module}" settings changed in the cluster (revision ${record.revision})`);
      }
    } catch (error) {
      this.logger.warn(`cluster watch: ${String(error)}`);
    }
  }

  private applyPause(paused: boolean): void {
    // never-set flag on a fresh cluster reads as "not paused": nothing to apply
    if (this.appliedPause === paused || (this.appliedPause === undefined && !paused)) {
      this.appliedPause = paused;
      return;
    }
    this.appliedPause = paused;
    if (paused) this.mocra.pause();
    else this.mocra.resume();
    this.logger.log(`crawl ${paused ? 'paused' : 'resumed'} by the cluster`);
  }

  private async heartbeat(register: boolean): Promise<void> {
    const raft = this.raft;
    if (!raft) return;
    const nodeId = this.config.crawler.node_id;
    try {
      if (register) await raft.client.nodeRegister(nodeId, raft.nodeId, this.meta);
      else await raft.client.nodeHeartbeat(nodeId);
    } catch (error) {
      // refused heartbeat = the registration expired or was lost: register again next time
      if (!register) void this.heartbeat(true);
      else this.logger.debug(`node registration failed: ${String(error)}`);
      return;
    }
    await this.publishStatus(nodeId).catch((error: unknown) =>
      this.logger.debug(`status publication failed: ${String(error)}`),
    );
  }

  /** This process's counters and active runs, kept in the replicated status table while it heartbeats. */
  private async publishStatus(nodeId: string): Promise<void> {
    const raft = this.requireRaft();
    const status: ClusterNodeStatus = {
      nodeId,
      at: Date.now(),
      stats: { ...this.mocra.stats() },
      activeRuns: this.mocra.activeRuns().map((r) => ({ ...r })),
    };
    // JSON round trip: the status table stores plain MessagePack data, not class instances or undefined fields
    await raft.client.statusPut(
      `${STATUS_PREFIX}${nodeId}`,
      JSON.parse(JSON.stringify(status)) as object,
      ALIVE_TTL_MS,
    );
  }

  /** Every live member's last published status (local read: a view for humans). */
  clusterStatus(): ClusterNodeStatus[] {
    return this.requireRaft()
      .client.statusList<ClusterNodeStatus>(STATUS_PREFIX)
      .map((r) => r.value);
  }

  private requireRaft(): RaftService {
    if (!this.raft) throw new Error('cluster coordination needs [raft] in the config');
    return this.raft;
  }
}

function readMeta(bytes: Uint8Array): ClusterNodeMeta | undefined {
  try {
    const value = unpack(bytes) as Partial<ClusterNodeMeta> | null;
    if (!value || typeof value.hostname !== 'string' || typeof value.startedAtMs !== 'number')
      return undefined;
    return { hostname: value.hostname, startedAtMs: value.startedAtMs, version: String(value.version ?? '') };
  } catch {
    return undefined;
  }
}

function fromStored(stored: StoredSettings): Partial<ModuleRuntimeSettings> {
  const patch: Partial<ModuleRuntimeSettings> = {};
  for (const [key, value] of Object.entries(stored)) {
    (patch as Record<string, unknown>)[key] = key === 'cron' && value === null ? undefined : value;
  }
  return patch;
}

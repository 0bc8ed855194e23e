import type { ReplicatedStateMachine } from '@mocra/raft';
import type {
  ConfigRecord,
  CoordinationCommand,
  CoordinationResults,
  LockState,
  PauseState,
  StatusRecord,
} from './coordination.commands.js';
import { decodeCoordinationCommand } from './coordination-command.codec.js';
import { CommandRefusedError, CoordinationDecodeError } from './coordination.errors.js';
import { PURGE_PER_COMMAND } from './coordination.limits.js';
import { encodeResultError, encodeResultOk } from './coordination-result.codec.js';
import { decodeCoordinationSnapshot, encodeCoordinationSnapshot } from './coordination-snapshot.codec.js';
import { CoordinationState } from './coordination-state.js';
import type { NodeView } from './node-registry.js';

/**
 * mocra's replicated coordination state: cache, locks with fencing tokens, rate-limit buckets, status records,
 * config store, pause flag, node registry and cron claims. `apply` depends only on the state and the command
 * bytes: there is no Date.now, no randomness and no iteration-order dependence, so every replica that applies the
 * same log reaches the same snapshot bytes.
 *
 * Time is the replicated clock: max(previous clock, command's proposer clock). A malformed command is refused
 * with an error result and changes nothing (not even the clock); a well-formed command that is invalid in the
 * current state (incr on a string) advances the clock and runs the purge, then is refused without effect.
 *
 * The query methods below serve reads (run them through the Raft port's read or localRead). `readerNow` lets a
 * reader hide records its own clock says have expired: the replicated clock only moves with commands, and an
 * idle cluster must not serve an entry past its TTL. Writes never look at a reader's clock.
 */
export class CoordinationStateMachine implements ReplicatedStateMachine {
  private state = new CoordinationState();

  /** The replicated clock (epoch ms): the largest proposer clock applied. */
  get clock(): number {
    return this.state.clock;
  }

  apply(command: Uint8Array, index: number): Uint8Array {
    let cmd: CoordinationCommand;
    try {
      cmd = decodeCoordinationCommand(command);
    } catch (error) {
      if (error instanceof CoordinationDecodeError)
        return encodeResultError(`malformed command: ${error.message}`);
      throw error;
    }
    const state = this.state;
    state.clock = Math.max(state.clock, cmd.at);
    state.purgeExpired(PURGE_PER_COMMAND);
    try {
      return encodeResultOk(this.execute(cmd, index));
    } catch (error) {
      if (error instanceof CommandRefusedError) return encodeResultError(error.message);
      throw error;
    }
  }

  snapshot(): Uint8Array {
    return encodeCoordinationSnapshot(this.state);
  }

  /** Empty bytes reset to the initial state (what RaftNode passes for a snapshot with no data). */
  restore(snapshot: Uint8Array): void {
    this.state = snapshot.byteLength === 0 ? new CoordinationState() : decodeCoordinationSnapshot(snapshot);
  }

  cacheGet(key: string, readerNow = 0): Uint8Array | undefined {
    return this.state.cache.get(key, this.now(readerNow));
  }

  lockGet(name: string, readerNow = 0): LockState | undefined {
    return this.state.locks.get(name, this.now(readerNow));
  }

  statusGet(key: string, readerNow = 0): StatusRecord | undefined {
    const record = this.state.status.get(key, this.now(readerNow));
    return record === undefined ? undefined : { ...record };
  }

  statusList(
    prefix: string,
    limit = Number.MAX_SAFE_INTEGER,
    readerNow = 0,
  ): Array<{ key: string } & StatusRecord> {
    return this.state.status.list(prefix, this.now(readerNow), limit);
  }

  configGet(name: string): ConfigRecord | undefined {
    const record = this.state.config.get(name);
    return record === undefined ? undefined : { ...record };
  }

  configList(): Array<{ name: string } & ConfigRecord> {
    return this.state.config.list();
  }

  pauseGet(): PauseState {
    return this.state.pause.get();
  }

  nodeList(aliveTtlMs: number, readerNow = 0): NodeView[] {
    return this.state.nodes.list(this.now(readerNow), aliveTtlMs);
  }

  cronLast(schedule: string): { fireTime: number; nodeId: string; claimedAt: number } | undefined {
    return this.state.cron.last(schedule);
  }

  /** Record counts per table (metrics, and tests that check the purge keeps snapshots small). */
  sizes(): Record<'cache' | 'locks' | 'buckets' | 'status' | 'config' | 'nodes' | 'cron', number> {
    const s = this.state;
    return {
      cache: s.cache.size,
      locks: s.locks.size,
      buckets: s.buckets.size,
      status: s.status.size,
      config: s.config.size,
      nodes: s.nodes.size,
      cron: s.cron.size,
    };
  }

  private now(readerNow: number): number {
    return Math.max(this.state.clock, readerNow);
  }

  private execute(cmd: CoordinationCommand, index: number): CoordinationResults[CoordinationCommand['op']] {
    const s = this.state;
    const now = s.clock;
    switch (cmd.op) {
      case 'clock':
        return now;
      case 'cache.set':
        return s.cache.set(cmd.key, cmd.value, cmd.ttlMs, now);
      case 'cache.del':
        return s.cache.del(cmd.key, now);
      case 'cache.setIfAbsent':
        return s.cache.setIfAbsent(cmd.key, cmd.value, cmd.ttlMs, now);
      case 'cache.incr':
        return s.cache.incr(cmd.key, cmd.by, cmd.ttlMs, now);
      case 'cache.cas':
        return s.cache.compareAndSet(cmd.key, cmd.expected, cmd.value, cmd.ttlMs, now);
      case 'cache.batch':
        return s.cache.batch(cmd.writes, now);
      case 'lock.acquire':
        return s.locks.acquire(cmd.name, cmd.holder, cmd.leaseMs, now);
      case 'lock.renew':
        return s.locks.renew(cmd.name, cmd.holder, cmd.token, cmd.leaseMs, now);
      case 'lock.release':
        return s.locks.release(cmd.name, cmd.holder, cmd.token, now);
      case 'rate.grant':
        return s.buckets.grant(cmd, now);
      case 'status.put':
        return s.status.put(cmd.key, cmd.value, cmd.ttlMs, now);
      case 'status.del':
        return s.status.del(cmd.key, now);
      case 'config.put':
        return s.config.put(cmd.name, cmd.value, index, now);
      case 'config.del':
        return s.config.del(cmd.name);
      case 'pause.set':
        return s.pause.set(cmd.paused, cmd.by, cmd.reason, now);
      case 'node.register':
        return s.nodes.register(cmd.nodeId, cmd.address, cmd.meta, now);
      case 'node.heartbeat':
        return s.nodes.heartbeat(cmd.nodeId, now);
      case 'node.remove':
        return s.nodes.remove(cmd.nodeId);
      case 'cron.claim':
        return s.cron.claim(cmd.schedule, cmd.fireTime, cmd.nodeId, now);
    }
  }
}

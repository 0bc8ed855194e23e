import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RaftUsageError } from '../core/errors.js';
import type { ConfChange, ConfState, Message, NodeId } from '../core/types.js';
import { checkOperations } from '../linearizability/check-operations.js';
import { kvModel, type KvInput, type KvOutput } from '../linearizability/kv.model.js';
import type { Operation } from '../linearizability/operation.js';
import { encodeSessionCommand } from '../session/session-command.codec.js';
import type { SessionApplyResult } from '../session/session-state-machine.js';
import { EventQueue } from './event-queue.js';
import { FaultInjector, type FaultTarget } from './sim-fault-injector.js';
import { InvariantChecker } from './invariant-checker.js';
import { decodeKvOutput, encodeKvInput } from './kv-command.codec.js';
import { Prng } from './prng.js';
import { SimClient, type ClientOp } from './sim-client.js';
import type { PendingRead, SimHost } from './sim-host.js';
import { SimNetwork } from './sim-network.js';
import { SimNode } from './sim-node.js';
import {
  PERFECT_NETWORK,
  randomFaultMix,
  randomRaftTuning,
  TICK_UNITS,
  type FaultMix,
  type RaftTuning,
  type SimOptions,
} from './sim-options.js';
import type { SimResult, SimStats } from './sim-result.js';
import { SimViolationError } from './sim-violation.error.js';

type ClientReply =
  { kind: 'ok'; output: KvOutput } | { kind: 'opened' } | { kind: 'expired' } | { kind: 'dropped' };

type SimEvent =
  | { kind: 'tick'; node: SimNode }
  | { kind: 'deliver'; message: Message }
  | { kind: 'report_snapshot'; node: NodeId; target: NodeId; ok: boolean }
  | { kind: 'report_unreachable'; node: NodeId; target: NodeId }
  | { kind: 'resume'; node: NodeId }
  | { kind: 'fault' }
  | { kind: 'heal' }
  | { kind: 'client_next'; client: number }
  | { kind: 'client_retry'; client: number; opId: number; attempt: number }
  | { kind: 'client_request'; client: number; node: NodeId; opId: number }
  | { kind: 'client_reply'; client: number; opId: number; reply: ClientReply };

const KEYS = ['x', 'y', 'z'];
/** A client attempt without an answer after this many ticks is retried at another node. */
const ATTEMPT_TIMEOUT_TICKS = 25;
/** Attempts before a client gives up on an operation during the fault phase (the outcome is then unknown). */
const MAX_ATTEMPTS = 4;
/** Clients keep starting operations this long into the heal phase: a healed cluster must serve them. */
const HEAL_CLIENT_TICKS = 20;
/** Far above what a healthy run sends (a few thousand): more means messages feed on themselves. */
const MAX_MESSAGES = 100_000;
/** Time budget for checking the clients' raw history, unknown outcomes included. */
const RAW_CHECK_MS = 500;

/**
 * A deterministic discrete-event simulation of a Raft cluster under faults. Everything random comes from the seed;
 * virtual time advances from event to event and the invariants are checked after every step (all events at one
 * virtual time). After the fault phase a heal phase (perfect network, every node up) must converge.
 */
export class Simulation implements SimHost, FaultTarget {
  now = 0;
  readonly checker: InvariantChecker;
  readonly unsafeSendBeforePersist: boolean;
  readonly unsafeLocalReads: boolean;
  readonly leaderSendsFirst: boolean;
  readonly tracing: boolean;
  private readonly seed: number;
  private readonly prng: Prng;
  private readonly faultPrng: Prng;
  private readonly faultInjector: FaultInjector;
  readonly network: SimNetwork;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly clients: SimClient[] = [];
  private readonly history: Operation<KvInput, KvOutput>[] = [];
  private readonly traceLines: string[] = [];
  private readonly faults: FaultMix;
  private readonly initialNodes: number;
  private readonly faultTicks: number;
  private readonly healTicks: number;
  readonly tuning: RaftTuning;
  private readonly maxClients: number;
  private readonly storageDir: string | undefined;
  readonly stats: SimStats = {
    messages: 0,
    dropped: 0,
    leaderChanges: 0,
    crashes: 0,
    snapshotsTaken: 0,
    snapshotsInstalled: 0,
    confChanges: 0,
    opsOk: 0,
    opsUnknown: 0,
    healTicks: 0,
    storageReopens: 0,
  };
  private latestConf: ConfState = {
    voters: [],
    learners: [],
    votersOutgoing: [],
    learnersNext: [],
    autoLeave: false,
  };
  private latestConfIndex = -1;
  private readonly everMember = new Set<NodeId>();
  private nodeCounter = 0;
  private opCounter = 0;
  private healing = false;
  private readonly unknownWrites: Array<{ at: number; key: string }> = [];
  private readonly firstApplied = new Map<string, { time: number; output: KvOutput }>();
  private nextLeaveAttempt = 0;
  private healStart = 0;

  constructor(options: SimOptions) {
    this.seed = options.seed;
    this.prng = new Prng(options.seed);
    this.faultPrng = this.prng.fork();
    this.checker = new InvariantChecker(options.seed, options.checkDurability ?? true);
    this.unsafeSendBeforePersist = options.unsafeSendBeforePersist ?? false;
    this.unsafeLocalReads = options.unsafeLocalReads ?? false;
    this.leaderSendsFirst = options.leaderSendsFirst ?? false;
    this.tracing = options.trace ?? false;
    this.storageDir = options.storageDir;
    if (this.storageDir !== undefined && this.unsafeSendBeforePersist) {
      throw new RaftUsageError('Simulation: unsafeSendBeforePersist is an in-memory driver bug; not on disk');
    }
    this.faults = options.faults ?? randomFaultMix(this.prng);
    this.initialNodes = options.nodes ?? this.prng.range(3, 7);
    this.faultTicks = options.faultTicks ?? this.prng.range(100, 200);
    this.healTicks = options.healTicks ?? 200;
    this.tuning = options.tuning ?? randomRaftTuning(this.prng);
    // one key makes every operation contend; three keep histories long but cheap to check
    const keys = KEYS.slice(0, this.prng.range(1, KEYS.length));
    // a single key with many clients makes histories the checker needs tens of seconds to decide
    const clientCount = options.clients ?? this.prng.range(2, keys.length === 1 ? 4 : 6);
    // a table barely larger than the live clients makes session eviction (and expiry) actually happen
    this.maxClients = clientCount + this.prng.range(0, 2);
    this.network = new SimNetwork(this.prng.fork(), this.faults);
    for (let i = 0; i < clientCount; i++) this.clients.push(new SimClient(i, this.prng.fork(), keys));
    this.faultInjector = new FaultInjector(this, this.faults, this.faultPrng);
  }

  get step(): number {
    return this.checker.step;
  }

  trace(line: string): void {
    this.traceLines.push(`${this.now} ${line}`);
  }

  /**
   * Runs the fault phase, then the heal phase; throws SimViolationError on any broken invariant. An exception out
   * of the core is reported the same way, with the seed and step where it happened.
   */
  run(): SimResult {
    if (this.storageDir !== undefined) {
      throw new RaftUsageError('Simulation.run: a run with storageDir is asynchronous, use runOnDisk()');
    }
    try {
      const deadline = this.begin();
      for (;;) {
        const time = this.nextTime(deadline);
        while (this.queue.peekTime() === time) this.handle((this.queue.pop() as { item: SimEvent }).item);
        if (this.endStep()) break;
      }
      return this.conclude();
    } catch (error) {
      throw this.asViolation(error);
    }
  }

  /**
   * run() with every node on a LevelStorage in options.storageDir. After each event the simulation awaits every
   * node's pending disk work (in node order, so a seed replays exactly) before the next event: a Ready's messages
   * leave only once its write resolved, and virtual time never moves while a write is in flight.
   */
  async runOnDisk(): Promise<SimResult> {
    if (this.storageDir === undefined) {
      throw new RaftUsageError('Simulation.runOnDisk: options.storageDir is not set');
    }
    try {
      const deadline = this.begin();
      await this.settleNodes();
      for (;;) {
        const time = this.nextTime(deadline);
        while (this.queue.peekTime() === time) {
          this.handle((this.queue.pop() as { item: SimEvent }).item);
          await this.settleNodes();
        }
        if (this.endStep()) break;
      }
      await this.shutdownNodes();
      for (const node of this.nodes.values()) this.stats.storageReopens += node.reopens;
      return this.conclude();
    } catch (error) {
      await this.shutdownNodes().catch(() => undefined);
      throw this.asViolation(error);
    }
  }

  private async settleNodes(): Promise<void> {
    for (let again = true; again;) {
      again = false;
      for (const node of this.nodes.values()) {
        if (!node.busy) continue;
        again = true;
        await node.settle();
      }
    }
  }

  private async shutdownNodes(): Promise<void> {
    for (const node of this.nodes.values()) await node.shutdownDisk();
  }

  private asViolation(error: unknown): SimViolationError {
    const violation =
      error instanceof SimViolationError
        ? error
        : new SimViolationError(
            this.seed,
            this.checker.step,
            this.now,
            'no exception from the core',
            String(error instanceof Error ? (error.stack ?? error.message) : error),
          );
    violation.trace = this.traceLines;
    return violation;
  }

  /** Starts the initial cluster, the clients and the fault schedule; returns the deadline of the heal phase. */
  private begin(): number {
    if (this.tracing) {
      this.trace(`seed ${this.seed} nodes ${this.initialNodes} faults ${JSON.stringify(this.faults)}`);
      this.trace(`raft tuning ${JSON.stringify(this.tuning)}`);
    }
    const peers: NodeId[] = [];
    for (let i = 0; i < this.initialNodes; i++) peers.push(`n${++this.nodeCounter}`);
    for (const id of peers) this.addNode(id).start(peers);
    for (const client of this.clients)
      this.queue.push(this.prng.range(1, 3 * TICK_UNITS), { kind: 'client_next', client: client.index });
    this.queue.push(TICK_UNITS * this.faults.faultInterval, { kind: 'fault' });
    this.queue.push(this.faultTicks * TICK_UNITS, { kind: 'heal' });
    return (this.faultTicks + this.healTicks) * TICK_UNITS;
  }

  /** Moves virtual time to the next event's time. */
  private nextTime(deadline: number): number {
    const time = this.queue.peekTime();
    if (time === undefined) this.checker.fail('liveness', 'the event queue ran dry');
    if (time > deadline) this.checker.fail('heal convergence', this.describeCluster());
    this.now = time;
    this.checker.time = time;
    return time;
  }

  /** Checks the invariants after every event of one virtual time ran; returns whether the healed run is done. */
  private endStep(): boolean {
    this.checker.step++;
    this.checker.afterStep(this.nodes.values());
    return this.healing && this.healStep();
  }

  /** Checks the histories for linearizability and builds the result. */
  private conclude(): SimResult {
    this.stats.healTicks = Math.ceil((this.now - this.healStart) / TICK_UNITS);
    if (this.tracing) this.trace(`converged ${JSON.stringify(this.stats)}`);
    const resolved = this.resolveHistory();
    const report = checkOperations(kvModel, resolved, { timeoutMs: 20_000 });
    if (report.result !== 'ok') {
      this.checker.fail(
        'linearizability',
        `history of ${resolved.length} ops (unknown outcomes resolved from the log) is ${report.result}: ` +
          (report.info ?? ''),
      );
    }
    // the clients' own view, unknown outcomes included: may be too hard to decide in time, never illegal
    const raw = checkOperations(kvModel, this.history, { timeoutMs: RAW_CHECK_MS });
    if (raw.result === 'illegal') {
      this.checker.fail('linearizability', `client history of ${this.history.length} ops: ${raw.info ?? ''}`);
    }
    return {
      seed: this.seed,
      steps: this.checker.step,
      time: this.now,
      nodes: this.initialNodes,
      faults: this.faults,
      tuning: this.tuning,
      history: this.history,
      resolvedHistory: resolved,
      trace: this.traceLines,
      stats: this.stats,
    };
  }

  // ---- SimHost -------------------------------------------------------------------------------------------

  send(from: SimNode, messages: Message[]): void {
    for (const original of messages) {
      const message: Message = { ...original };
      if (++this.stats.messages > MAX_MESSAGES) {
        this.checker.fail(
          'message budget',
          `more than ${MAX_MESSAGES} messages: a retry loop or a message storm`,
        );
      }
      this.checker.onSent(message);
      if (message.type === 'vote_resp' && !message.reject) {
        this.checker.onVoteGranted(message.from, message.to, message.term);
      }
      const plan = this.network.plan(message.from, message.to);
      if (this.tracing)
        this.trace(
          `send ${describeMessage(message)} ${plan.delays.length === 0 ? 'LOST' : plan.delays.join(',')}`,
        );
      if (plan.delays.length === 0) {
        this.stats.dropped++;
        if (message.type === 'snap')
          this.queue.push(this.now + TICK_UNITS, {
            kind: 'report_snapshot',
            node: from.id,
            target: message.to,
            ok: false,
          });
        else if (plan.partitioned && this.faultPrng.chance(0.3)) {
          this.queue.push(this.now + TICK_UNITS, {
            kind: 'report_unreachable',
            node: from.id,
            target: message.to,
          });
        }
        continue;
      }
      // each copy is its own object: a receiver that mutates a message must not corrupt its duplicate
      for (const [i, delay] of plan.delays.entries()) {
        this.queue.push(this.now + delay, { kind: 'deliver', message: i === 0 ? message : { ...message } });
      }
    }
  }

  onConfApplied(node: SimNode, index: number, conf: ConfState): void {
    if (this.tracing) this.trace(`${node.id} conf@${index} ${describeConf(conf)}`);
    if (index <= this.latestConfIndex) return;
    this.latestConfIndex = index;
    this.latestConf = conf;
    this.stats.confChanges++;
    const members = membersOf(conf);
    for (const id of members) this.everMember.add(id);
    for (const id of this.everMember) {
      const removed = this.nodes.get(id);
      if (!members.has(id) && removed && removed.state !== 'decommissioned') {
        // the removal is committed: the operator shuts the node down for good
        removed.decommission();
        if (this.tracing) this.trace(`${id} decommissioned`);
      }
    }
  }

  onSessionResult(node: SimNode, result: SessionApplyResult): void {
    let key: string;
    let reply: ClientReply;
    switch (result.status) {
      case 'opened':
        key = `${result.clientId}#0`;
        reply = { kind: 'opened' };
        break;
      case 'applied':
      case 'duplicate':
        key = `${result.clientId}#${result.seq}`;
        if (result.status === 'applied' && !this.firstApplied.has(key)) {
          this.firstApplied.set(key, { time: this.now, output: decodeKvOutput(result.result) });
        }
        reply = { kind: 'ok', output: decodeKvOutput(result.result) };
        break;
      case 'session_expired':
        key = `${result.clientId}#${result.seq}`;
        reply = { kind: 'expired' };
        break;
      default:
        return;
    }
    const waiting = node.waiters.get(key);
    if (!waiting) return;
    node.waiters.delete(key);
    for (const index of waiting) {
      // only the operation that proposed this (session, seq) may take the answer, not a later one
      const client = this.clients[index];
      const op = client?.op;
      if (client && op && `${client.sessionId}#${op.kind === 'read' ? -1 : op.seq}` === key) {
        this.replyLater(index, op.id, reply);
      }
    }
  }

  onReadServed(_node: SimNode, read: PendingRead, value: string): void {
    this.replyLater(read.client, read.opId, { kind: 'ok', output: { value } });
  }

  onRoleChange(node: SimNode, previous: string, leader: NodeId | ''): void {
    if (node.role === 'leader' && previous !== 'leader') this.stats.leaderChanges++;
    if (this.tracing && previous !== node.role)
      this.trace(`${node.id} ${previous} -> ${node.role} term ${node.term} leader ${leader}`);
  }

  // ---- events --------------------------------------------------------------------------------------------

  private handle(event: SimEvent): void {
    switch (event.kind) {
      case 'tick': {
        const node = event.node;
        if (node.state === 'decommissioned') return;
        this.queue.push(this.now + TICK_UNITS, event);
        if (node.isUp && !node.isPaused(this.now)) node.tick();
        return;
      }
      case 'deliver':
        return this.deliver(event.message);
      case 'report_snapshot': {
        const node = this.nodes.get(event.node);
        if (node?.isUp && !node.isPaused(this.now)) node.reportSnapshot(event.target, event.ok);
        return;
      }
      case 'report_unreachable': {
        const node = this.nodes.get(event.node);
        if (node?.isUp && !node.isPaused(this.now)) node.reportUnreachable(event.target);
        return;
      }
      case 'resume':
        return this.resume(event.node);
      case 'fault':
        if (this.healing) return;
        this.faultInjector.inject();
        this.queue.push(
          this.now + TICK_UNITS * this.faultPrng.range(1, 2 * this.faults.faultInterval),
          event,
        );
        return;
      case 'heal':
        return this.heal();
      case 'client_next':
        return this.clientNext(event.client);
      case 'client_retry': {
        const op = this.clients[event.client]?.op;
        if (op && op.id === event.opId && op.attempt === event.attempt) this.attempt(event.client);
        return;
      }
      case 'client_request':
        return this.clientRequest(event.client, event.node, event.opId);
      case 'client_reply':
        return this.clientReply(event.client, event.opId, event.reply);
    }
  }

  private deliver(message: Message): void {
    const node = this.nodes.get(message.to);
    if (this.tracing) this.trace(`recv ${describeMessage(message)}${node?.isUp ? '' : ' (target down)'}`);
    if (!node || !node.isUp) {
      if (this.faultPrng.chance(0.3)) {
        this.queue.push(this.now + TICK_UNITS, {
          kind: 'report_unreachable',
          node: message.from,
          target: message.to,
        });
      }
      if (message.type === 'snap') {
        this.queue.push(this.now + TICK_UNITS, {
          kind: 'report_snapshot',
          node: message.from,
          target: message.to,
          ok: false,
        });
      }
      return;
    }
    if (node.isPaused(this.now)) {
      node.inbox.push(message);
      return;
    }
    node.receive(message);
    const chunk = message.chunk;
    if (message.type === 'snap' && (!chunk || chunk.index === chunk.total - 1)) {
      this.stats.snapshotsInstalled++;
      this.queue.push(this.now + 1, {
        kind: 'report_snapshot',
        node: message.from,
        target: message.to,
        ok: true,
      });
    }
  }

  private resume(id: NodeId): void {
    const node = this.nodes.get(id);
    if (!node || !node.isUp || node.isPaused(this.now)) return;
    if (this.tracing) this.trace(`${id} resumes with ${node.inbox.length} queued messages`);
    const queued = node.inbox.splice(0);
    for (const message of queued) if (node.isUp) node.receive(message);
  }

  private heal(): void {
    this.healing = true;
    this.healStart = this.now;
    if (this.tracing) this.trace('heal: network perfect, all nodes up');
    this.network.setQuality(PERFECT_NETWORK);
    this.network.healPartitions();
    for (const node of this.nodes.values()) {
      if (node.state === 'down') this.restart(node);
      else if (node.isPaused(this.now)) {
        node.pausedUntil = this.now;
        this.queue.push(this.now, { kind: 'resume', node: node.id });
      }
    }
  }

  /** The operator's part of healing (leaving an explicit joint config); returns whether the cluster converged. */
  private healStep(): boolean {
    if (this.latestConf.votersOutgoing.length > 0) {
      const leader = this.allNodes().find((node) => node.isUp && node.role === 'leader');
      if (!this.latestConf.autoLeave && leader && this.now >= this.nextLeaveAttempt) {
        this.nextLeaveAttempt = this.now + 5 * TICK_UNITS;
        this.proposeChange(leader, { changes: [] });
      }
      return false;
    }
    if (this.clients.some((client) => client.op !== undefined)) return false;
    const members = [...membersOf(this.latestConf)].map((id) => this.nodes.get(id));
    const leaders = members.filter((node) => node?.role === 'leader');
    const leader = leaders[0];
    if (leaders.length !== 1 || !leader) return false;
    const last = leader.storage.lastIndex();
    for (const node of members) {
      if (!node || !node.isUp || node.isPaused(this.now)) return false;
      if (node.leader !== leader.id || node.term !== leader.term) return false;
      if (node.commit !== last || node.applied !== last || node.storage.lastIndex() !== last) return false;
    }
    const expected = leader.stateFingerprint();
    for (const node of members) {
      const state = (node as SimNode).stateFingerprint();
      if (!sameBytes(state, expected)) {
        this.checker.fail(
          'state machine safety',
          `${(node as SimNode).id} and leader ${leader.id} both applied up to ${last} but hold different states`,
        );
      }
    }
    return true;
  }

  // ---- clients -------------------------------------------------------------------------------------------

  private clientNext(index: number): void {
    const client = this.clients[index] as SimClient;
    if (client.op) return;
    if (!client.sessionOpen) {
      client.op = {
        id: ++this.opCounter,
        kind: 'open',
        input: undefined,
        call: this.now,
        seq: 0,
        attempt: 0,
      };
    } else {
      if (this.healing && this.now - this.healStart > HEAL_CLIENT_TICKS * TICK_UNITS) return;
      const input = client.nextInput();
      const kind = input.op === 'get' ? 'read' : 'write';
      const seq = kind === 'write' ? ++client.seq : 0;
      client.op = { id: ++this.opCounter, kind, input, call: this.now, seq, attempt: 0 };
    }
    if (this.tracing) this.trace(`client ${index} starts ${describeOp(client.sessionId, client.op)}`);
    this.attempt(index);
  }

  private attempt(index: number): void {
    const client = this.clients[index] as SimClient;
    const op = client.op as ClientOp;
    op.attempt++;
    if (op.attempt > MAX_ATTEMPTS && !this.healing && op.kind !== 'open') {
      this.finish(index, undefined);
      return;
    }
    // clients know the membership; now and then one still hits a node that is not (or not yet) a member
    const members = membersOf(this.latestConf);
    const running = [...this.nodes.values()].filter((node) => node.state !== 'decommissioned');
    const known = running.filter((node) => members.has(node.id));
    const candidates = known.length > 0 && !this.prng.chance(0.1) ? known : running;
    const hinted = client.hint !== undefined ? this.nodes.get(client.hint) : undefined;
    const target =
      hinted && hinted.state !== 'decommissioned' && op.attempt === 1 && this.prng.chance(0.7)
        ? hinted
        : this.prng.pick(candidates);
    client.hint = target.id;
    if (this.tracing) this.trace(`client ${index} attempt ${op.attempt} of #${op.id} at ${target.id}`);
    this.queue.push(this.now + this.prng.range(1, 3), {
      kind: 'client_request',
      client: index,
      node: target.id,
      opId: op.id,
    });
    this.queue.push(this.now + ATTEMPT_TIMEOUT_TICKS * TICK_UNITS, {
      kind: 'client_retry',
      client: index,
      opId: op.id,
      attempt: op.attempt,
    });
  }

  private clientRequest(index: number, nodeId: NodeId, opId: number): void {
    const client = this.clients[index] as SimClient;
    const op = client.op;
    const node = this.nodes.get(nodeId);
    if (!op || op.id !== opId || !node || !node.isUp || node.isPaused(this.now)) return;
    if (op.kind === 'read') {
      node.read(index, op.id, (op.input as KvInput).key);
      return;
    }
    const command =
      op.kind === 'open'
        ? encodeSessionCommand({ kind: 'open', clientId: client.sessionId })
        : encodeSessionCommand({
            kind: 'request',
            clientId: client.sessionId,
            seq: op.seq,
            payload: encodeKvInput(op.input as KvInput),
          });
    if (!node.propose(index, client.sessionId, op.seq, command))
      this.replyLater(index, op.id, { kind: 'dropped' });
  }

  private replyLater(client: number, opId: number, reply: ClientReply): void {
    this.queue.push(this.now + this.prng.range(1, 3), { kind: 'client_reply', client, opId, reply });
  }

  private clientReply(index: number, opId: number, reply: ClientReply): void {
    const client = this.clients[index] as SimClient;
    const op = client.op;
    if (!op || op.id !== opId) return;
    switch (reply.kind) {
      case 'dropped':
        client.hint = undefined;
        this.queue.push(this.now + TICK_UNITS, {
          kind: 'client_retry',
          client: index,
          opId,
          attempt: op.attempt,
        });
        return;
      case 'opened':
        client.sessionOpen = true;
        this.finish(index, undefined);
        return;
      case 'expired':
        this.finish(index, undefined);
        client.renewSession();
        return;
      case 'ok':
        this.finish(index, reply.output);
        return;
    }
  }

  /** Ends the client's operation; an undefined output on a write records an unknown outcome. */
  private finish(index: number, output: KvOutput | undefined): void {
    const client = this.clients[index] as SimClient;
    const op = client.op as ClientOp;
    client.op = undefined;
    if (this.tracing) {
      this.trace(
        `client ${index} ends ${describeOp(client.sessionId, op)} -> ${output ? JSON.stringify(output) : '?'}`,
      );
    }
    if (op.input) {
      if (output) {
        this.stats.opsOk++;
        client.observe(op.input, output);
        this.history.push({ clientId: index, input: op.input, call: op.call, output, return: this.now });
      } else if (op.kind === 'write') {
        this.stats.opsUnknown++;
        this.unknownWrites.push({ at: this.history.length, key: `${client.sessionId}#${op.seq}` });
        this.history.push({
          clientId: index,
          input: op.input,
          call: op.call,
          output: undefined,
          return: Infinity,
        });
      }
    }
    this.queue.push(this.now + this.prng.range(0, 2 * TICK_UNITS), { kind: 'client_next', client: index });
  }

  /** Reboots a crashed node from its storage. */
  restart(node: SimNode): void {
    if (this.tracing) this.trace(`${node.id} restarts`);
    node.start();
  }

  /** Freezes a node (no ticks, messages queue up) until `until`. */
  pause(node: SimNode, until: number): void {
    node.pausedUntil = until;
    if (this.tracing) this.trace(`${node.id} paused until ${until}`);
    this.queue.push(until, { kind: 'resume', node: node.id });
  }

  membership(): ConfState {
    return this.latestConf;
  }

  allNodes(): SimNode[] {
    return [...this.nodes.values()];
  }

  proposeWithNewNode(at: SimNode, change: (id: NodeId) => ConfChange): void {
    const id = `n${++this.nodeCounter}`;
    const node = this.addNode(id);
    node.start();
    if (!this.proposeChange(at, change(id))) node.decommission();
  }

  proposeChange(at: SimNode, change: ConfChange): boolean {
    const accepted = at.proposeConfChange(change);
    if (this.tracing) {
      const what = change.changes.map((c) => `${c.type} ${c.nodeId}`).join(' + ');
      this.trace(`${at.id} proposes conf change ${what}: ${accepted ? 'accepted' : 'dropped'}`);
    }
    return accepted;
  }

  private addNode(id: NodeId): SimNode {
    const disk =
      this.storageDir === undefined
        ? undefined
        : { dir: join(this.storageDir, id), clusterId: `sim-seed-${this.seed}` };
    const node = new SimNode(
      id,
      this,
      { tuning: this.tuning, maxClients: this.maxClients, ...(disk ? { disk } : {}) },
      this.prng.fork(),
    );
    this.nodes.set(id, node);
    this.queue.push(this.now + 1 + this.prng.int(TICK_UNITS), { kind: 'tick', node });
    return node;
  }

  /**
   * The history with every unknown write outcome settled from the log: a write first applied at time t took
   * effect within [call, t] with the result the state machine produced; one never applied by the end of the
   * run took no effect any read could see, so it is left out. Both are sound, and they keep the check cheap
   * (unknown appends multiply the linearizations to search).
   */
  private resolveHistory(): Operation<KvInput, KvOutput>[] {
    const resolved: Array<Operation<KvInput, KvOutput> | undefined> = [...this.history];
    for (const { at, key } of this.unknownWrites) {
      const op = this.history[at] as Operation<KvInput, KvOutput>;
      const applied = this.firstApplied.get(key);
      resolved[at] = applied ? { ...op, output: applied.output, return: applied.time } : undefined;
    }
    return resolved.filter((op): op is Operation<KvInput, KvOutput> => op !== undefined);
  }

  private describeCluster(): string {
    const lines = [
      `cluster did not converge within ${this.healTicks} heal ticks; members ${describeConf(this.latestConf)}`,
    ];
    for (const node of this.nodes.values()) {
      lines.push(
        `  ${node.id} ${node.state}${node.isPaused(this.now) ? ' paused' : ''} ${node.role} term ${node.term} ` +
          `leader ${node.leader || '-'} commit ${node.commit} applied ${node.applied} ` +
          `last ${node.state === 'decommissioned' ? '-' : node.storage.lastIndex()} conf ${describeConf(node.conf)}`,
      );
    }
    for (const client of this.clients) {
      if (client.op)
        lines.push(`  client ${client.index} pending ${describeOp(client.sessionId, client.op)}`);
    }
    return lines.join('\n');
  }
}

/** Runs one seed; the convenience entry point for tests and scripts. */
export function runSimulation(options: SimOptions): SimResult {
  return new Simulation(options).run();
}

/**
 * Runs one seed with every node on a LevelStorage (fsync off) in a fresh directory under `tempRoot`, removed
 * afterwards. `storageDir` in the options, when given, is used (and kept) instead.
 */
export async function runSimulationOnDisk(options: SimOptions, tempRoot = tmpdir()): Promise<SimResult> {
  if (options.storageDir !== undefined) return new Simulation(options).runOnDisk();
  const storageDir = await mkdtemp(join(tempRoot, `raft-sim-${options.seed}-`));
  try {
    return await new Simulation({ ...options, storageDir }).runOnDisk();
  } finally {
    await rm(storageDir, { recursive: true, force: true });
  }
}

export function isSimViolation(error: unknown): error is SimViolationError {
  return error instanceof SimViolationError;
}

function membersOf(conf: ConfState): Set<NodeId> {
  return new Set([...conf.voters, ...conf.learners, ...conf.votersOutgoing, ...conf.learnersNext]);
}

function describeConf(conf: ConfState): string {
  const out = conf.votersOutgoing.length > 0 ? ` outgoing [${conf.votersOutgoing.join(',')}]` : '';
  const learners = conf.learners.length > 0 ? ` learners [${conf.learners.join(',')}]` : '';
  return `voters [${conf.voters.join(',')}]${learners}${out}`;
}

function describeMessage(m: Message): string {
  const entries =
    m.entries.length > 0 ? ` ents ${m.entries[0]?.index}..${m.entries[m.entries.length - 1]?.index}` : '';
  const snap = m.snapshot ? ` snap ${m.snapshot.metadata.index}/${m.snapshot.metadata.term}` : '';
  return `${m.type} ${m.from}->${m.to} t${m.term} lt${m.logTerm} i${m.index} c${m.commit}${entries}${snap}${m.reject ? ' REJECT' : ''}`;
}

function describeOp(sessionId: string, op: ClientOp): string {
  const what = op.input ? JSON.stringify(op.input) : 'open-session';
  return `#${op.id} ${sessionId}/${op.seq} ${what} (attempt ${op.attempt})`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

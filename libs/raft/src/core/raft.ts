import { applyConfChangeTo } from './conf-changer.js';
import { decodeConfChange, encodeConfChange } from './conf-change-codec.js';
import {
  CompactedError,
  ProposalDroppedError,
  RaftError,
  RaftUsageError,
  SnapshotTemporarilyUnavailableError,
  UnavailableError,
} from './errors.js';
import { entryPayloadSize, RaftLog } from './raft-log.js';
import { ReadOnly } from './read-only.js';
import { SnapshotAssembler, splitSnapshot } from './snapshot-chunks.js';
import { confStateToConfig, describeConfig, ProgressTracker } from './tracker.js';
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  Message,
  MessageType,
  NodeId,
  RaftConfig,
  RaftLogger,
  RaftRole,
  ReadOnlyOption,
  ReadState,
  Snapshot,
  SoftState,
  Storage,
} from './types.js';

/** Context of a vote request sent because of a leader transfer: it bypasses the followers' leader lease. */
export const CAMPAIGN_TRANSFER = new TextEncoder().encode('CampaignTransfer');

type CampaignType = 'pre_election' | 'election' | 'transfer';

const NOOP_LOGGER: RaftLogger = { debug() {}, info() {}, warn() {}, error() {} };

function isTransferCtx(ctx: Uint8Array | undefined): boolean {
  if (!ctx || ctx.length !== CAMPAIGN_TRANSFER.length) return false;
  for (let i = 0; i < ctx.length; i++) if (ctx[i] !== CAMPAIGN_TRANSFER[i]) return false;
  return true;
}

function voteRespType(t: MessageType): MessageType {
  return t === 'prevote' ? 'prevote_resp' : 'vote_resp';
}

export function newMessage(type: MessageType, to: NodeId, fields: Partial<Message> = {}): Message {
  return {
    type,
    from: '',
    to,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    ...fields,
  };
}

/** The Raft state machine. Driven by RawNode; everything it produces is collected in msgs/readStates. */
export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId | '' = '';
  lead: NodeId | '' = '';
  role: RaftRole = 'follower';
  isLearner = false;
  readonly raftLog: RaftLog;
  readonly tracker: ProgressTracker;
  msgs: Message[] = [];
  readStates: ReadState[] = [];

  private readonly maxMsgSize: number;
  private readonly maxUncommittedSize: number;
  private uncommittedSize = 0;
  private leadTransferee: NodeId | '' = '';
  /** Index of the latest conf change proposed by this leader; a new one waits until it is applied. */
  private pendingConfIndex = 0;
  private readOnly = new ReadOnly();
  private bcastPending = false;
  /** Heartbeats in msgs not yet handed out, by follower. */
  private readonly queuedHeartbeats = new Map<NodeId, Message>();
  /** timeout_now arrived while committed conf changes were unapplied. */
  private pendingTransferCampaign = false;
  /** Followers to send to when the next Ready is built. */
  private readonly sendPending = new Set<NodeId>();
  /** Followers that answered a heartbeat while behind: send them an append even with nothing new in it. */
  private readonly probePending = new Set<NodeId>();
  readonly readOnlyOption: ReadOnlyOption;
  /** Reads received before this leader committed an entry of its term. */
  private pendingReadIndexMessages: Message[] = [];
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private readonly checkQuorum: boolean;
  private readonly preVote: boolean;
  private readonly heartbeatTimeout: number;
  private readonly electionTimeout: number;
  private randomizedElectionTimeout = 0;
  private readonly disableProposalForwarding: boolean;
  private readonly random: () => number;
  private readonly snapshotChunkSize: number;
  private readonly assembler = new SnapshotAssembler();
  readonly logger: RaftLogger;

  constructor(config: RaftConfig, storage: Storage) {
    validateConfig(config);
    this.id = config.id;
    this.logger = config.logger ?? NOOP_LOGGER;
    this.random = config.random;
    this.electionTimeout = config.electionTick;
    this.heartbeatTimeout = config.heartbeatTick;
    this.checkQuorum = config.checkQuorum ?? true;
    this.preVote = config.preVote ?? true;
    this.maxMsgSize = config.maxSizePerMsg ?? 1024 * 1024;
    this.maxUncommittedSize = config.maxUncommittedEntriesSize ?? Infinity;
    this.readOnlyOption = config.readOnlyOption ?? 'safe';
    this.disableProposalForwarding = config.disableProposalForwarding ?? false;
    this.snapshotChunkSize = config.snapshotChunkSize ?? 1024 * 1024;
    this.raftLog = new RaftLog(storage, config.maxCommittedSizePerReady ?? Infinity);
    this.tracker = new ProgressTracker(config.maxInflightMsgs ?? 256, config.maxInflightBytes ?? Infinity);

    const { hardState, confState } = storage.initialState();
    this.restoreConfig(confState);
    if (hardState.term !== 0 || hardState.vote !== '' || hardState.commit !== 0) this.loadState(hardState);
    // A snapshot already implies everything up to its index was applied: a lower value changes nothing.
    if (config.applied !== undefined && config.applied > this.raftLog.applied)
      this.raftLog.appliedTo(config.applied);
    this.becomeFollower(this.term, '');
    this.logger.info(
      `${this.id} newRaft [${describeConfig(this.tracker.config)}] term=${this.term} commit=${this.raftLog.committed} ` +
        `applied=${this.raftLog.applied} lastIndex=${this.raftLog.lastIndex()} lastTerm=${this.raftLog.lastTerm()}`,
    );
  }

  private loadState(hs: HardState): void {
    if (hs.commit > this.raftLog.lastIndex()) {
      throw new RaftError(
        `${this.id} hard state commit ${hs.commit} is beyond the last log index ${this.raftLog.lastIndex()}: ` +
          `the log lost entries that were persisted as committed`,
      );
    }
    // A persisted commit below the snapshot index is stale, not wrong: the snapshot itself is committed state.
    this.raftLog.committed = Math.max(hs.commit, this.raftLog.committed);
    this.term = hs.term;
    this.vote = hs.vote;
  }

  softState(): SoftState {
    return { leader: this.lead, role: this.role };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  /** Tick counters, for tests and diagnostics. */
  timers(): {
    electionElapsed: number;
    randomizedElectionTimeout: number;
    electionTimeout: number;
    heartbeatTimeout: number;
  } {
    return {
      electionElapsed: this.electionElapsed,
      randomizedElectionTimeout: this.randomizedElectionTimeout,
      electionTimeout: this.electionTimeout,
      heartbeatTimeout: this.heartbeatTimeout,
    };
  }

  leadTransfereeId(): NodeId | '' {
    return this.leadTransferee;
  }

  // ---- sending ----

  private send(m: Message): void {
    if (m.from === '') m.from = this.id;
    if (m.type === 'vote' || m.type === 'vote_resp' || m.type === 'prevote' || m.type === 'prevote_resp') {
      if (m.term === 0) throw new RaftError(`${this.id} ${m.type} must carry a term`);
    } else if (m.type !== 'prop' && m.type !== 'read_index') {
      // Proposals and reads are forwarded without a term: the leader treats them as local requests.
      m.term = this.term;
    }
    if (m.type === 'app_resp' && !m.reject) {
      // Acks for several appends handled in one batch: only the highest index matters to the leader.
      const prev = this.msgs[this.msgs.length - 1];
      if (prev && prev.type === 'app_resp' && !prev.reject && prev.to === m.to && prev.term === m.term) {
        prev.index = Math.max(prev.index, m.index);
        return;
      }
    }
    this.msgs.push(m);
  }

  /** Sends an 'app' (or a snapshot) to `to` if its Progress allows. Returns whether something was sent. */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.tracker.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    let prevTerm: number;
    let ents: Entry[];
    try {
      prevTerm = this.raftLog.term(prevIndex);
      ents = this.raftLog.entries(pr.next, this.maxMsgSize);
    } catch (e) {
      if (e instanceof CompactedError || e instanceof UnavailableError) return this.maybeSendSnapshot(to);
      throw e;
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    let bytes = 0;
    for (const e of ents) bytes += entryPayloadSize(e);
    this.send(
      newMessage('app', to, {
        index: prevIndex,
        logTerm: prevTerm,
        entries: ents,
        commit: this.raftLog.committed,
      }),
    );
    pr.sentEntries(ents.length, bytes);
    pr.sentCommit = Math.max(pr.sentCommit, this.raftLog.committed);
    return true;
  }

  private maybeSendSnapshot(to: NodeId): boolean {
    const pr = this.tracker.progress.get(to);
    if (!pr) return false;
    if (!pr.recentActive) {
      this.logger.debug(`${this.id} ignored sending snapshot to ${to}: not recently active`);
      return false;
    }
    let snap: Snapshot;
    try {
      snap = this.raftLog.snapshot();
    } catch (e) {
      if (e instanceof SnapshotTemporarilyUnavailableError) {
        this.logger.debug(`${this.id} failed to send snapshot to ${to}: temporarily unavailable`);
        return false;
      }
      throw e;
    }
    if (snap.metadata.index === 0) throw new RaftError(`${this.id} needs a non-empty snapshot for ${to}`);
    const parts = splitSnapshot(snap, this.snapshotChunkSize);
    this.logger.info(
      `${this.id} sending snapshot [index ${snap.metadata.index}, term ${snap.metadata.term}] to ${to} ` +
        `[${pr.toString()}] in ${parts.length} chunk(s)`,
    );
    pr.becomeSnapshot(snap.metadata.index);
    for (const p of parts) this.send(newMessage('snap', to, { snapshot: p.snapshot, chunk: p.chunk }));
    return true;
  }

  private sendHeartbeat(to: NodeId, ctx: Uint8Array | undefined): void {
    const pr = this.tracker.progress.get(to);
    // A follower may not have the entries up to our commit yet: never tell it to commit beyond its match.
    const commit = Math.min(pr?.match ?? 0, this.raftLog.committed);
    // Several beats before the caller drains a Ready collapse into one message per follower: the newest
    // commit and read context supersede older ones (acknowledging the newest read round releases older reads).
    const queued = this.queuedHeartbeats.get(to);
    if (queued && queued.term === this.term) {
      queued.commit = Math.max(queued.commit, commit);
      if (ctx !== undefined) queued.context = ctx;
      return;
    }
    const m = newMessage('heartbeat', to, { commit });
    if (ctx !== undefined) m.context = ctx;
    this.send(m);
    this.queuedHeartbeats.set(to, m);
  }

  /** Hands the queued messages to the caller (RawNode.ready). */
  takeMessages(): Message[] {
    const msgs = this.msgs;
    this.msgs = [];
    this.queuedHeartbeats.clear();
    return msgs;
  }

  /**
   * Schedules an 'app' to every follower. Messages only leave through the next Ready, so they are built then:
   * every proposal and acknowledgement in between shares one message per follower (batching) carrying the
   * latest commit index.
   */
  private bcastAppend(): void {
    this.bcastPending = true;
  }

  /** Builds the messages deferred until the caller drains a Ready: appends first, then the read round. */
  flushPending(): void {
    if (this.role !== 'leader') {
      this.bcastPending = false;
      this.sendPending.clear();
      this.probePending.clear();
      return;
    }
    if (this.bcastPending || this.sendPending.size > 0) {
      const all = this.bcastPending;
      this.bcastPending = false;
      this.tracker.visit((id, pr) => {
        if (id === this.id || (!all && !this.sendPending.has(id))) return;
        let sent = false;
        while (this.maybeSendAppend(id, false)) sent = true;
        // Nothing new to send, but the follower has not heard of the latest commit index yet, or a probe is due.
        if (!sent && (pr.sentCommit < this.raftLog.committed || this.probePending.has(id))) {
          this.maybeSendAppend(id, true);
        }
      });
      this.sendPending.clear();
      this.probePending.clear();
    }
    const ctx = this.readOnly.takeUnsentCtx();
    if (ctx !== undefined) this.bcastHeartbeat(ctx);
  }

  private bcastHeartbeat(ctx?: Uint8Array): void {
    const c = ctx ?? this.readOnly.lastPendingCtx();
    this.tracker.visit((id) => {
      if (id !== this.id) this.sendHeartbeat(id, c);
    });
  }

  // ---- state transitions ----

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = '';
    }
    this.lead = '';
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.tracker.resetVotes();
    const last = this.raftLog.lastIndex();
    this.tracker.visit((id, pr) => {
      const learner = pr.isLearner;
      const fresh = this.tracker.newProgress(last + 1, learner);
      if (id === this.id) fresh.match = Math.min(this.raftLog.stableLastIndex(), last);
      this.tracker.progress.set(id, fresh);
    });
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly();
    this.pendingReadIndexMessages = [];
    this.bcastPending = false;
    this.sendPending.clear();
    this.probePending.clear();
    this.pendingTransferCampaign = false;
  }

  private resetRandomizedElectionTimeout(): void {
    const r = this.random();
    const jitter = Math.min(this.electionTimeout - 1, Math.max(0, Math.floor(r * this.electionTimeout)));
    this.randomizedElectionTimeout = this.electionTimeout + jitter;
  }

  becomeFollower(term: number, lead: NodeId | ''): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
    this.logger.info(`${this.id} became follower at term ${this.term}`);
  }

  private becomeCandidate(): void {
    if (this.role === 'leader') throw new RaftError(`${this.id} invalid transition [leader -> candidate]`);
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
    this.logger.info(`${this.id} became candidate at term ${this.term}`);
  }

  private becomePreCandidate(): void {
    if (this.role === 'leader')
      throw new RaftError(`${this.id} invalid transition [leader -> pre-candidate]`);
    // PreVote changes neither term nor vote, so a node that cannot win never disrupts the cluster.
    this.tracker.resetVotes();
    this.lead = '';
    this.role = 'pre_candidate';
    this.logger.info(`${this.id} became pre-candidate at term ${this.term}`);
  }

  private becomeLeader(): void {
    if (this.role === 'follower') throw new RaftError(`${this.id} invalid transition [follower -> leader]`);
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    const self = this.tracker.progress.get(this.id);
    if (self) {
      self.becomeReplicate();
      self.recentActive = true;
    }
    // Conf changes in the uncommitted tail may be pending: be conservative until this index is applied.
    this.pendingConfIndex = this.raftLog.lastIndex();
    const noop: Entry = { term: 0, index: 0, type: 'normal', data: new Uint8Array(0) };
    if (!this.appendEntry([noop])) throw new RaftError(`${this.id} could not append its no-op entry`);
    this.logger.info(`${this.id} became leader at term ${this.term}`);
  }

  private promotable(): boolean {
    const pr = this.tracker.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && this.raftLog.unstable.snapshot === undefined;
  }

  private hup(t: CampaignType): void {
    if (this.role === 'leader') {
      this.logger.debug(`${this.id} ignoring hup: already leader`);
      return;
    }
    if (!this.promotable()) {
      this.logger.warn(`${this.id} is unpromotable and can not campaign`);
      return;
    }
    if (this.hasUnappliedConfChanges()) {
      if (t === 'transfer') {
        // Requested by the leader: campaign as soon as the committed changes are applied.
        this.pendingTransferCampaign = true;
        this.logger.info(`${this.id} defers the transfer campaign until committed conf changes are applied`);
        return;
      }
      this.logger.warn(`${this.id} cannot campaign at term ${this.term}: pending conf changes to apply`);
      return;
    }
    this.logger.info(`${this.id} is starting a new election at term ${this.term}`);
    this.campaign(t);
  }

  private hasUnappliedConfChanges(): boolean {
    if (this.raftLog.applied >= this.raftLog.committed) return false;
    const ents = this.raftLog.slice(
      Math.max(this.raftLog.applied + 1, this.raftLog.firstIndex()),
      this.raftLog.committed + 1,
    );
    return ents.some((e) => e.type === 'conf_change');
  }

  private campaign(t: CampaignType): void {
    let voteMsg: MessageType;
    let term: number;
    if (t === 'pre_election') {
      this.becomePreCandidate();
      voteMsg = 'prevote';
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteMsg = 'vote';
      term = this.term;
    }
    const ids = this.tracker.voterIds();
    for (const id of ids) {
      if (id === this.id) {
        const res = this.poll(id, voteRespType(voteMsg), true);
        if (res === 'won') {
          if (t === 'pre_election') this.campaign('election');
          else this.becomeLeader();
          return;
        }
      }
    }
    for (const id of ids) {
      if (id === this.id) continue;
      this.logger.info(
        `${this.id} [logterm: ${this.raftLog.lastTerm()}, index: ${this.raftLog.lastIndex()}] sent ${voteMsg} ` +
          `request to ${id} at term ${this.term}`,
      );
      const m = newMessage(voteMsg, id, {
        term,
        index: this.raftLog.lastIndex(),
        logTerm: this.raftLog.lastTerm(),
      });
      if (t === 'transfer') m.context = CAMPAIGN_TRANSFER;
      this.send(m);
    }
  }

  private poll(id: NodeId, t: MessageType, granted: boolean): 'won' | 'lost' | 'pending' {
    if (granted) this.logger.info(`${this.id} received ${t} from ${id} at term ${this.term}`);
    else this.logger.info(`${this.id} received ${t} rejection from ${id} at term ${this.term}`);
    this.tracker.recordVote(id, granted);
    return this.tracker.tallyVotes().result;
  }

  // ---- ticks ----

  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step(newMessage('hup', this.id, { from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.step(newMessage('check_quorum', this.id, { from: this.id }));
      if (this.role === 'leader') {
        if (this.leadTransferee !== '') {
          this.logger.info(
            `${this.id} aborted leadership transfer to ${this.leadTransferee}: election timeout`,
          );
          this.abortLeaderTransfer();
        }
        this.retryStuckSnapshots();
      }
    }
    if (this.role !== 'leader') return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(newMessage('beat', this.id, { from: this.id }));
    }
  }

  /**
   * A snapshot whose chunks got lost is never acknowledged. After two election timeouts without an answer the
   * follower goes back to probing, which resends a snapshot if it still needs one.
   */
  private retryStuckSnapshots(): void {
    this.tracker.visit((id, pr) => {
      if (id === this.id || pr.state !== 'snapshot') return;
      pr.snapshotRounds++;
      if (pr.snapshotRounds >= 2) {
        this.logger.info(`${this.id} snapshot to ${id} unacknowledged; probing again`);
        pr.becomeProbe();
      }
    });
  }

  // ---- step ----

  step(m: Message): void {
    if (m.term === 0) {
      // local message
    } else if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'prevote') {
        const force = isTransferCtx(m.context);
        const inLease = this.checkQuorum && this.lead !== '' && this.electionElapsed < this.electionTimeout;
        if (!force && inLease) {
          // Heard from a leader within the minimum election timeout: a stable leader is not disrupted.
          this.logger.info(
            `${this.id} [logterm: ${this.raftLog.lastTerm()}, index: ${this.raftLog.lastIndex()}, vote: ${this.vote || '-'}] ` +
              `ignored ${m.type} from ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}: ` +
              `lease is not expired`,
          );
          return;
        }
      }
      if (m.type === 'prevote') {
        // A prevote never changes our term.
      } else if (m.type === 'prevote_resp' && !m.reject) {
        // Our own future term, granted: counted below.
      } else {
        this.logger.info(
          `${this.id} [term: ${this.term}] received a ${m.type} message with higher term from ${m.from} [term: ${m.term}]`,
        );
        if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap')
          this.becomeFollower(m.term, m.from);
        else this.becomeFollower(m.term, '');
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === 'heartbeat' || m.type === 'app')) {
        // A leader cut off behind a partition learns the new term and steps down.
        this.send(newMessage('app_resp', m.from));
      } else if (m.type === 'prevote') {
        this.logger.info(
          `${this.id} rejected prevote from ${m.from} [term: ${m.term}] at lower term than ours (${this.term})`,
        );
        this.send(newMessage('prevote_resp', m.from, { term: this.term, reject: true }));
      } else {
        this.logger.debug(
          `${this.id} ignored a ${m.type} message with lower term from ${m.from} [term: ${m.term}]`,
        );
      }
      return;
    }

    switch (m.type) {
      case 'hup':
        this.hup(this.preVote ? 'pre_election' : 'election');
        return;
      case 'vote':
      case 'prevote': {
        const canVote =
          this.vote === m.from ||
          (this.vote === '' && this.lead === '') ||
          (m.type === 'prevote' && m.term > this.term);
        if (canVote && this.raftLog.isUpToDate(m.index, m.logTerm)) {
          this.logger.info(
            `${this.id} [logterm: ${this.raftLog.lastTerm()}, index: ${this.raftLog.lastIndex()}, vote: ${this.vote || '-'}] ` +
              `cast ${m.type} for ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`,
          );
          // The response carries the request's term; the vote is recorded in the same Ready's hard state, which
          // the caller persists before sending.
          this.send(newMessage(voteRespType(m.type), m.from, { term: m.term }));
          if (m.type === 'vote') {
            this.electionElapsed = 0;
            this.vote = m.from;
          }
        } else {
          this.logger.info(
            `${this.id} [logterm: ${this.raftLog.lastTerm()}, index: ${this.raftLog.lastIndex()}, vote: ${this.vote || '-'}] ` +
              `rejected ${m.type} from ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`,
          );
          this.send(newMessage(voteRespType(m.type), m.from, { term: this.term, reject: true }));
        }
        return;
      }
      default:
        if (this.role === 'leader') this.stepLeader(m);
        else if (this.role === 'follower') this.stepFollower(m);
        else this.stepCandidate(m);
    }
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case 'beat':
        this.bcastHeartbeat();
        return;
      case 'check_quorum':
        if (!this.tracker.quorumActive()) {
          this.logger.warn(`${this.id} stepped down to follower since quorum is not active`);
          this.becomeFollower(this.term, '');
        }
        this.tracker.visit((id, pr) => {
          if (id !== this.id) pr.recentActive = false;
        });
        return;
      case 'prop':
        this.leaderPropose(m);
        return;
      case 'read_index':
        if (this.tracker.isSingleton()) {
          this.respondToReadIndex(m, this.raftLog.committed);
          return;
        }
        if (!this.committedEntryInCurrentTerm()) {
          // The commit index of a new leader may lag; its reads wait until its no-op commits (thesis §6.4).
          this.pendingReadIndexMessages.push(m);
          return;
        }
        this.sendReadIndexResponse(m);
        return;
      case 'transfer_leader':
        this.handleTransferLeader(m);
        return;
      default:
        break;
    }

    const pr = this.tracker.progress.get(m.from);
    if (!pr) {
      this.logger.debug(`${this.id} no progress available for ${m.from}`);
      return;
    }
    switch (m.type) {
      case 'app_resp':
        this.handleAppendResponse(m);
        return;
      case 'heartbeat_resp': {
        pr.recentActive = true;
        pr.msgAppFlowPaused = false;
        if (pr.state === 'replicate' && pr.inflights.full()) {
          // The follower is alive but the window stays full: appends may have been lost, and acknowledgements for
          // them will never come. Free one slot so one more append goes out; if there is a gap the follower
          // rejects it and the leader falls back to probing.
          pr.inflights.freeFirstOne();
        }
        if (pr.match < this.raftLog.lastIndex() || pr.state === 'probe') {
          // Alive but behind (or unprobed): send something, even empty, so a lost append gets noticed.
          this.sendPending.add(m.from);
          this.probePending.add(m.from);
        }
        if (this.readOnlyOption !== 'safe' || !m.context || m.context.length === 0) return;
        const acks = this.readOnly.recvAck(m.from, m.context);
        if (!acks || !this.tracker.hasQuorum(acks)) return;
        for (const rs of this.readOnly.advance(m.context)) this.respondToReadIndex(rs.req, rs.index);
        return;
      }
      case 'snap_status':
        if (pr.state !== 'snapshot') return;
        if (!m.reject) {
          pr.becomeProbe();
          this.logger.info(
            `${this.id} snapshot succeeded, resumed sending replication messages to ${m.from}`,
          );
        } else {
          pr.pendingSnapshot = 0;
          pr.becomeProbe();
          this.logger.info(`${this.id} snapshot failed, resumed sending replication messages to ${m.from}`);
        }
        // Wait for the next heartbeat response before probing, rather than resending at once.
        pr.msgAppFlowPaused = true;
        return;
      case 'unreachable':
        if (pr.state === 'replicate') pr.becomeProbe();
        return;
      default:
        return;
    }
  }

  private leaderPropose(m: Message): void {
    if (m.entries.length === 0) throw new RaftUsageError(`${this.id} stepped an empty proposal`);
    if (!this.tracker.progress.has(this.id)) {
      // A leader removed from the config keeps no progress for itself and must not grow the log.
      throw new ProposalDroppedError(`${this.id} is not a member of the configuration`);
    }
    if (this.leadTransferee !== '') {
      throw new ProposalDroppedError(`${this.id} is transferring leadership to ${this.leadTransferee}`);
    }
    let confIndex = 0;
    for (let i = 0; i < m.entries.length; i++) {
      const e = m.entries[i]!;
      if (e.type !== 'conf_change') continue;
      if (confIndex > 0) throw new ProposalDroppedError(`${this.id} ignoring conf change: one per proposal`);
      const cc = decodeConfChange(e.data);
      const alreadyPending = this.pendingConfIndex > this.raftLog.applied;
      const alreadyJoint = this.tracker.isJoint();
      const wantsLeaveJoint = cc.changes.length === 0;
      let refused = '';
      if (!this.committedEntryInCurrentTerm()) {
        refused = 'the leader has not committed an entry in its term yet';
      } else if (alreadyPending) {
        refused = `possible unapplied conf change at index ${this.pendingConfIndex} (applied to ${this.raftLog.applied})`;
      } else if (alreadyJoint && !wantsLeaveJoint) {
        refused = 'must transition out of joint config first';
      } else if (!alreadyJoint && wantsLeaveJoint) {
        refused = 'not in joint state; refusing empty conf change';
      }
      if (refused !== '') throw new ProposalDroppedError(`${this.id} ignoring conf change: ${refused}`);
      confIndex = this.raftLog.lastIndex() + i + 1;
    }
    if (!this.appendEntry(m.entries)) {
      throw new ProposalDroppedError(
        `${this.id} uncommitted entries exceed ${this.maxUncommittedSize} bytes`,
      );
    }
    if (confIndex > 0) this.pendingConfIndex = confIndex;
    this.bcastAppend();
  }

  private handleTransferLeader(m: Message): void {
    const target = m.from;
    const pr = this.tracker.progress.get(target);
    if (!pr) return;
    if (pr.isLearner) {
      this.logger.debug(`${this.id} is a learner; ignored transferring leadership to ${target}`);
      return;
    }
    if (this.leadTransferee !== '') {
      if (this.leadTransferee === target) {
        this.logger.info(`${this.id} transfer to ${target} already in progress, ignored`);
        return;
      }
      this.abortLeaderTransfer();
    }
    if (target === this.id) {
      this.logger.debug(`${this.id} is already leader; ignored transferring leadership to self`);
      return;
    }
    this.logger.info(`${this.id} starts to transfer leadership to ${target}`);
    // The transfer must finish within one election timeout or it is aborted.
    this.electionElapsed = 0;
    this.leadTransferee = target;
    if (pr.match === this.raftLog.lastIndex()) {
      this.sendTimeoutNow(target);
      this.logger.info(
        `${this.id} sends timeout_now to ${target} immediately as ${target} already has up-to-date log`,
      );
    } else {
      this.maybeSendAppend(target, true);
    }
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send(newMessage('timeout_now', to));
  }

  private abortLeaderTransfer(): void {
    this.leadTransferee = '';
  }

  private handleAppendResponse(m: Message): void {
    const pr = this.tracker.progress.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    if (m.reject) {
      this.logger.debug(
        `${this.id} received app_resp(rejected, hint: (index ${m.rejectHint}, term ${m.logTerm})) from ${m.from} ` +
          `for index ${m.index}`,
      );
      let nextProbeIdx = m.rejectHint;
      if (m.logTerm > 0) nextProbeIdx = this.raftLog.findConflictByTerm(m.rejectHint, m.logTerm).index;
      if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.maybeSendAppend(m.from, true);
      }
      return;
    }
    if (!pr.maybeUpdate(m.index) && !(pr.match === m.index && pr.state === 'probe')) return;
    this.progressAcked(m.from);
  }

  /** Follower `id`'s match moved (or a probe was answered): update its state, commit, and keep sending. */
  private progressAcked(id: NodeId): void {
    const pr = this.tracker.progress.get(id);
    if (!pr) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
      // The snapshot landed. If the log was compacted past it meanwhile, probing sends the newer snapshot.
      pr.becomeProbe();
      if (pr.match + 1 >= this.raftLog.firstIndex()) pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(pr.match);
    }
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    }
    // Refill the pipeline when the next Ready is built, with everything appended until then.
    if (id !== this.id) this.sendPending.add(id);
    if (id === this.leadTransferee && pr.match === this.raftLog.lastIndex()) {
      this.logger.info(`${this.id} sent timeout_now to ${id} after it caught up`);
      this.sendTimeoutNow(id);
    }
  }

  /** The caller persisted our log up to stableIndex: the leader's own acknowledgement counts now. */
  selfStable(stableIndex: number): void {
    if (this.role !== 'leader') return;
    const pr = this.tracker.progress.get(this.id);
    if (!pr || !pr.maybeUpdate(stableIndex)) return;
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    }
  }

  private maybeCommit(): boolean {
    const mci = this.tracker.committed();
    if (mci === Infinity) return false;
    // Only an entry of the current term commits by counting replicas (§5.4.2); earlier ones commit with it.
    return this.raftLog.maybeCommit(mci, this.term);
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.raftLog.termOrZero(this.raftLog.committed) === this.term;
  }

  private releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const msgs = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of msgs) this.sendReadIndexResponse(m);
  }

  private sendReadIndexResponse(m: Message): void {
    if (this.readOnlyOption === 'lease_based') {
      this.respondToReadIndex(m, this.raftLog.committed);
      return;
    }
    // Safe: the read is served at the current commit index once a heartbeat round confirms leadership. The
    // round goes out when the caller next drains a Ready, shared by all reads that arrived until then.
    this.readOnly.addRequest(this.raftLog.committed, m);
    this.readOnly.recvAck(this.id, m.context);
    if (this.tracker.hasQuorum(new Set([this.id]))) {
      for (const rs of this.readOnly.advance(m.context)) this.respondToReadIndex(rs.req, rs.index);
    }
  }

  private respondToReadIndex(req: Message, index: number): void {
    const ctx = req.context ?? new Uint8Array(0);
    if (req.from === '' || req.from === this.id) {
      this.readStates.push({ index, requestCtx: ctx });
      return;
    }
    this.send(newMessage('read_index_resp', req.from, { index, context: ctx }));
  }

  private appendEntry(es: Entry[]): boolean {
    let li = this.raftLog.lastIndex();
    const ents: Entry[] = new Array<Entry>(es.length);
    let size = 0;
    for (let i = 0; i < es.length; i++) {
      const e = es[i]!;
      ents[i] = { term: this.term, index: ++li, type: e.type, data: e.data };
      size += entryPayloadSize(e);
    }
    if (this.uncommittedSize > 0 && size > 0 && this.uncommittedSize + size > this.maxUncommittedSize) {
      this.logger.warn(
        `${this.id} appending new entries to log would exceed uncommitted entry size limit; dropping`,
      );
      return false;
    }
    this.uncommittedSize += size;
    this.raftLog.append(ents);
    return true;
  }

  /** Committed entries of `bytes` payload were applied: they no longer count against the uncommitted cap. */
  reduceUncommittedSize(bytes: number): void {
    this.uncommittedSize = Math.max(0, this.uncommittedSize - bytes);
  }

  /** Proposes the empty conf change that leaves an auto-leave joint config once it is applied. */
  maybeAutoLeave(): void {
    if (this.role !== 'leader' || !this.tracker.config.autoLeave) return;
    if (this.raftLog.applied < this.pendingConfIndex) return;
    const data = encodeConfChange({ changes: [] });
    if (!this.appendEntry([{ term: 0, index: 0, type: 'conf_change', data }])) {
      throw new RaftError(`${this.id} could not append the leave-joint entry`);
    }
    this.pendingConfIndex = this.raftLog.lastIndex();
    this.logger.info(`${this.id} initiating automatic transition out of joint configuration`);
    this.bcastAppend();
  }

  private stepCandidate(m: Message): void {
    const myResp: MessageType = this.role === 'pre_candidate' ? 'prevote_resp' : 'vote_resp';
    switch (m.type) {
      case 'prop':
        throw new ProposalDroppedError(`${this.id} has no leader at term ${this.term}`);
      case 'app':
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return;
      case 'heartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case 'snap':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case 'timeout_now':
        this.logger.debug(`${this.id} ignored timeout_now from ${m.from}: not a follower`);
        return;
      case 'read_index':
      case 'transfer_leader':
        this.logger.info(`${this.id} no leader at term ${this.term}; dropping ${m.type}`);
        return;
      default:
        break;
    }
    if (m.type !== myResp) return;
    const res = this.poll(m.from, m.type, !m.reject);
    const { granted, rejected } = this.tracker.tallyVotes();
    this.logger.info(`${this.id} has received ${granted} ${m.type} votes and ${rejected} vote rejections`);
    if (res === 'won') {
      if (this.role === 'pre_candidate') {
        this.campaign('election');
      } else {
        this.becomeLeader();
        this.bcastAppend();
      }
    } else if (res === 'lost') {
      // A prevote_resp rejection may carry a higher term; that case stepped us down already.
      this.becomeFollower(this.term, '');
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'prop':
        if (this.lead === '') throw new ProposalDroppedError(`${this.id} has no leader at term ${this.term}`);
        if (this.disableProposalForwarding) {
          throw new ProposalDroppedError(`${this.id} does not forward proposals to leader ${this.lead}`);
        }
        m.to = this.lead;
        this.send(m);
        return;
      case 'app':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case 'snap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case 'transfer_leader':
        if (this.lead === '') {
          this.logger.info(`${this.id} no leader at term ${this.term}; dropping leader transfer`);
          return;
        }
        m.to = this.lead;
        this.send(m);
        return;
      case 'timeout_now':
        this.logger.info(
          `${this.id} [term ${this.term}] received timeout_now from ${m.from}; starting election`,
        );
        // Leadership transfer never uses PreVote: the old leader asked for it.
        this.hup('transfer');
        return;
      case 'read_index':
        if (this.lead === '') {
          this.logger.info(`${this.id} no leader at term ${this.term}; dropping read_index`);
          return;
        }
        m.to = this.lead;
        this.send(m);
        return;
      case 'read_index_resp':
        this.readStates.push({ index: m.index, requestCtx: m.context ?? new Uint8Array(0) });
        return;
      default:
        return;
    }
  }

  private handleAppendEntries(m: Message): void {
    if (m.index < this.raftLog.committed) {
      this.send(newMessage('app_resp', m.from, { index: this.raftLog.committed }));
      return;
    }
    const lastNew = this.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send(newMessage('app_resp', m.from, { index: lastNew }));
      return;
    }
    // Point the leader at the largest index whose term is <= the one it probed with, skipping a whole term of
    // mismatching entries per round trip.
    const hint = this.raftLog.findConflictByTerm(Math.min(m.index, this.raftLog.lastIndex()), m.logTerm);
    this.logger.debug(
      `${this.id} rejected app [logterm: ${m.logTerm}, index: ${m.index}] from ${m.from}; hint ${hint.index}/${hint.term}`,
    );
    this.send(
      newMessage('app_resp', m.from, {
        index: m.index,
        reject: true,
        rejectHint: hint.index,
        logTerm: hint.term,
      }),
    );
  }

  private handleHeartbeat(m: Message): void {
    this.raftLog.commitTo(m.commit);
    const resp = newMessage('heartbeat_resp', m.from);
    if (m.context !== undefined) resp.context = m.context;
    this.send(resp);
  }

  private handleSnapshot(m: Message): void {
    if (!m.snapshot) return;
    let snap: Snapshot = m.snapshot;
    if (m.chunk) {
      const res = this.assembler.add(m.from, m.term, m.snapshot, m.chunk);
      if (res.status === 'incomplete') return;
      if (res.status === 'corrupt') {
        this.logger.warn(
          `${this.id} rejected snapshot [index ${m.snapshot.metadata.index}, term ${m.snapshot.metadata.term}] ` +
            `from ${m.from}: ${res.reason}`,
        );
        this.send(newMessage('snap_status', m.from, { index: m.snapshot.metadata.index, reject: true }));
        return;
      }
      snap = res.snapshot;
    }
    const { index, term } = snap.metadata;
    if (this.restore(snap)) {
      this.logger.info(
        `${this.id} [commit: ${this.raftLog.committed}] restored snapshot [index: ${index}, term: ${term}]`,
      );
      this.send(newMessage('app_resp', m.from, { index: this.raftLog.lastIndex() }));
    } else {
      this.logger.info(
        `${this.id} [commit: ${this.raftLog.committed}] ignored snapshot [index: ${index}, term: ${term}]`,
      );
      this.send(newMessage('app_resp', m.from, { index: this.raftLog.committed }));
    }
  }

  /** Installs a snapshot if it is newer than our commit index; returns false when it was ignored. */
  private restore(s: Snapshot): boolean {
    const { index, term, confState } = s.metadata;
    if (index <= this.raftLog.committed) return false;
    if (this.role !== 'follower') {
      this.logger.warn(`${this.id} attempted to restore snapshot as ${this.role}`);
      this.becomeFollower(this.term + 1, '');
      return false;
    }
    const members = [...confState.voters, ...confState.learners, ...confState.votersOutgoing];
    if (!members.includes(this.id) && this.tracker.progress.has(this.id)) {
      // A member must not install a state that excludes it. A node joining the cluster is not a member yet: the
      // leader's latest snapshot may predate the conf change adding it, which arrives as a later log entry.
      this.logger.warn(`${this.id} attempted to restore snapshot but it is not in the ConfState`);
      return false;
    }
    if (this.raftLog.matchTerm(index, term)) {
      // We already have the entries the snapshot covers: fast-forward the commit instead.
      this.raftLog.commitTo(index);
      return false;
    }
    this.raftLog.restore(s);
    this.restoreConfig(confState);
    return true;
  }

  private restoreConfig(cs: ConfState): void {
    const config = confStateToConfig(cs);
    const next = this.raftLog.lastIndex() + 1;
    const progress = new Map<NodeId, ReturnType<ProgressTracker['newProgress']>>();
    for (const id of [...config.incoming, ...config.outgoing, ...config.learners, ...config.learnersNext]) {
      if (!progress.has(id)) progress.set(id, this.tracker.newProgress(next, config.learners.has(id)));
    }
    this.tracker.setConfig(config, progress);
    const self = this.tracker.progress.get(this.id);
    this.isLearner = self?.isLearner ?? false;
    if (self) self.match = Math.min(this.raftLog.stableLastIndex(), this.raftLog.lastIndex());
  }

  /** Applies a committed conf change; returns the resulting ConfState. */
  applyConfChange(cc: ConfChange): ConfState {
    const { config, progress } = applyConfChangeTo(this.tracker, cc, this.raftLog.lastIndex());
    this.tracker.setConfig(config, progress);
    return this.switchToConfig();
  }

  private switchToConfig(): ConfState {
    const cs = this.tracker.confState();
    this.logger.info(`${this.id} switched to configuration ${describeConfig(this.tracker.config)}`);
    const self = this.tracker.progress.get(this.id);
    this.isLearner = self?.isLearner ?? false;
    if ((!self || this.isLearner) && this.role === 'leader') {
      // A leader that is no longer a voter must not lead (nor count itself): step down. Hand leadership to an
      // up-to-date voter right away, or the followers would honour our lease for an election timeout.
      this.logger.info(`${this.id} is no longer a voter; stepping down`);
      const heir = this.upToDateVoter();
      if (heir !== '') {
        this.logger.info(`${this.id} hands leadership to ${heir}`);
        this.sendTimeoutNow(heir);
      }
      this.becomeFollower(this.term, '');
      return cs;
    }
    if (this.role !== 'leader' || cs.voters.length === 0) return cs;
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    } else {
      this.tracker.visit((id) => {
        if (id !== this.id) this.maybeSendAppend(id, false);
      });
    }
    if (this.leadTransferee !== '' && !this.tracker.isVoter(this.leadTransferee)) this.abortLeaderTransfer();
    return cs;
  }

  /** A voter of the current config (not us) that has our whole log, preferring the lowest id. */
  private upToDateVoter(): NodeId | '' {
    const last = this.raftLog.lastIndex();
    for (const id of this.tracker.voterIds()) {
      if (id === this.id) continue;
      if (this.tracker.progress.get(id)?.match === last) return id;
    }
    return '';
  }

  /** Campaigns for a leader transfer that waited for committed conf changes to be applied. */
  maybeDeferredTransferCampaign(): void {
    if (!this.pendingTransferCampaign || this.hasUnappliedConfChanges()) return;
    this.pendingTransferCampaign = false;
    if (this.role === 'follower') this.hup('transfer');
  }

  /** The transport could not deliver to `id`. */
  reportUnreachable(id: NodeId): void {
    this.step(newMessage('unreachable', this.id, { from: id }));
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    this.step(newMessage('snap_status', this.id, { from: id, reject: !ok }));
  }

  /** Used by RawNode.bootstrap: makes `ents` committed conf-change entries of term 1. */
  bootstrapEntries(ents: Entry[]): void {
    this.becomeFollower(1, '');
    this.raftLog.append(ents);
    this.raftLog.committed = ents.length;
  }
}

function validateConfig(c: RaftConfig): void {
  if (c.id === '') throw new RaftUsageError('raft config: id must not be empty');
  if (!(c.heartbeatTick > 0)) throw new RaftUsageError('raft config: heartbeatTick must be greater than 0');
  if (!(c.electionTick > c.heartbeatTick)) {
    throw new RaftUsageError('raft config: electionTick must be greater than heartbeatTick');
  }
  if (c.maxInflightMsgs !== undefined && c.maxInflightMsgs < 1) {
    throw new RaftUsageError('raft config: maxInflightMsgs must be at least 1');
  }
  if (c.readOnlyOption === 'lease_based' && c.checkQuorum === false) {
    throw new RaftUsageError('raft config: readOnlyOption lease_based requires checkQuorum');
  }
  if (typeof c.random !== 'function') throw new RaftUsageError('raft config: random must be a function');
}

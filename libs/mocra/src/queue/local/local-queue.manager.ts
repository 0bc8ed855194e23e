import { randomBytes } from 'node:crypto';
import { MemoryDeadLetterStore } from '../dlq/memory-dead-letter.store.js';
import type { DeadLetterStore } from '../dlq/dead-letter.store.js';
import {
  ROUTES,
  type DeadLetterEnvelope,
  type PipelineEnvelope,
  type Priority,
  type Route,
} from '../envelope.js';
import type {
  DeadLetterFailure,
  PublishOptions,
  QueueHandler,
  QueueManager,
  QueueMessage,
  QueueSubscription,
  SubscribeOptions,
} from '../queue-manager.js';
import { buildDeadLetter, errorKindOf, reasonOf, requeueFromDeadLetterStore } from '../queue-failure.js';
import {
  DELIVERIES_PER_TURN,
  PRIORITY_SET,
  RESOLVED,
  RouteState as SharedRouteState,
  Subscriber,
} from './route-delivery.js';
import { QueueClosedError } from './queue-closed.error.js';

export interface LocalQueueManagerOptions {
  namespace: string;
  /** Waiting messages per route (all priorities together) before `publish` with wait=true blocks. */
  capacity: number;
  /** Nack retries before a message is dead-lettered (0 = dead-letter on the first nack). */
  nackMaxRetries: number;
  nackBackoffMs: number;
  dlq?: DeadLetterStore;
  clock?: () => number;
  /** See PriorityFifo: consecutive higher-class pops before a waiting lower class is served. */
  starvationLimit?: number;
  /** Failures with no caller to report to (the DLQ store rejecting a write). Default: console.error. */
  onError?: (err: unknown, context: string) => void;
  /** Routes whose deliveries hold while a downstream route is backed up. Default: DEFAULT_FLOW_CONTROL. */
  flowControl?: readonly FlowControl[];
}

/** Deliveries on `upstream` hold while `downstream` has `maxWaiting` or more messages waiting for a subscriber. */
export interface FlowControl {
  upstream: Route;
  downstream: Route;
  maxWaiting: number;
}

/**
 * What keeps a wide crawl's memory flat:
 * - Downloads hold while 256 responses wait to be parsed. Downloading is I/O and parsing is CPU on the same thread,
 *   so without this a crawl downloads far ahead of its parsers: on a 100,000-product wide crawl, 8,000 response
 *   bodies waited at once, and the product requests that parsing would have produced (served first, being deeper)
 *   did not exist yet, so the downloads went on fetching list pages.
 * - Node dispatches hold while 512 requests wait to be downloaded: a dispatch waits as its small input, instead of
 *   as the full request envelope generate() would make of it.
 * Parsing never waits on anything, and each hold waits only on a route nearer to it, so no cycle can form.
 */
export const DEFAULT_FLOW_CONTROL: readonly FlowControl[] = [
  { upstream: 'request', downstream: 'response', maxWaiting: 256 },
  { upstream: 'parser_task', downstream: 'request', maxWaiting: 512 },
];

type Message = QueueMessage<PipelineEnvelope>;

type RouteState = SharedRouteState<Message, BlockedPublish>;

interface BlockedPublish {
  msg: Message;
  resolve: () => void;
  reject: (err: Error) => void;
}

function nonNegativeInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0)
    throw new RangeError(`${name} must be an integer >= 0, got ${value}`);
}

/**
 * The pipeline's queues in process memory. Envelopes are delivered by reference (no encoding). Delivery work is
 * batched: one scheduled drain serves a route, however many messages were published in the same tick. Per message there
 * is no timer and no scan; only a nack with backoff arms a timer, and nacks are rare.
 */
export class LocalQueueManager implements QueueManager {
  readonly orderedWrites = true;

  readonly backend = 'local' as const;
  readonly dlq: DeadLetterStore;

  private readonly namespace: string;
  private readonly capacity: number;
  private readonly nackMaxRetries: number;
  private readonly nackBackoffMs: number;
  private readonly clock: () => number;
  private readonly onError: (err: unknown, context: string) => void;
  private readonly routes = new Map<Route, RouteState>();
  // Short: a wide crawl keeps very many messages waiting, each holding its id (unique per manager is enough).
  private readonly idPrefix = randomBytes(6).toString('base64url');
  private seq = 0;

  private turnDeliveries = 0;
  private pausedFlag = false;
  private closed = false;
  private totalDepth = 0;
  private totalInflight = 0;
  private totalBlocked = 0;
  /** Nacked messages waiting out their backoff, by timer. */
  private readonly backingOff = new Map<ReturnType<typeof setTimeout>, { state: RouteState; msg: Message }>();
  private idleWaiters: Array<() => void> = [];
  private settledWaiters: Array<() => void> = [];

  constructor(options: LocalQueueManagerOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new RangeError(`capacity must be an integer >= 1, got ${options.capacity}`);
    }
    nonNegativeInteger('nackMaxRetries', options.nackMaxRetries);
    if (!(options.nackBackoffMs >= 0)) {
      throw new RangeError(`nackBackoffMs must be >= 0, got ${options.nackBackoffMs}`);
    }
    this.namespace = options.namespace;
    this.capacity = options.capacity;
    this.nackMaxRetries = options.nackMaxRetries;
    this.nackBackoffMs = options.nackBackoffMs;
    this.dlq = options.dlq ?? new MemoryDeadLetterStore();
    this.clock = options.clock ?? Date.now;
    this.onError =
      options.onError ??
      ((err, context) => console.error(`[mocra] local queue (${this.namespace}): ${context}:`, err));
    for (const route of ROUTES)
      this.routes.set(route, new SharedRouteState<Message, BlockedPublish>(route, options.starvationLimit));
    for (const flow of options.flowControl ?? DEFAULT_FLOW_CONTROL) {
      const upstream = this.routes.get(flow.upstream);
      const downstream = this.routes.get(flow.downstream);
      if (upstream === undefined || downstream === undefined || flow.upstream === flow.downstream) {
        throw new RangeError(`flowControl: ${flow.upstream} -> ${flow.downstream} is not a pair of routes`);
      }
      if (!Number.isInteger(flow.maxWaiting) || flow.maxWaiting < 1) {
        throw new RangeError(`flowControl ${flow.upstream} -> ${flow.downstream}: maxWaiting must be >= 1`);
      }
      upstream.holdFor = { downstream, maxWaiting: flow.maxWaiting };
    }
  }

  get paused(): boolean {
    return this.pausedFlag;
  }

  publish(
    route: Route,
    envelope: PipelineEnvelope,
    priority?: Priority,
    opts?: PublishOptions,
  ): Promise<void> {
    if (this.closed) return Promise.reject(new QueueClosedError(`publish to '${route}'`));
    const state = this.routes.get(route);
    if (state === undefined) return Promise.reject(new Error(`unknown route '${String(route)}'`));
    const prio = priority ?? envelope.routing.priority;
    if (!PRIORITY_SET.has(prio)) {
      return Promise.reject(new Error(`publish to '${route}': unknown priority '${String(prio)}'`));
    }
    const msg: Message = {
      id: `${this.idPrefix}-${(++this.seq).toString(36)}`,
      route,
      priority: prio,
      envelope,
      attempt: 0,
      enqueuedAtMs: 0,
    };
    if (opts?.delayMs !== undefined && opts.delayMs > 0) {
      this.enqueueLater(state, msg, opts.delayMs);
      return RESOLVED;
    }
    // wait=false is accepted past capacity: handlers publish downstream with it, and a handler blocked on a full
    // route while holding its own delivery slot could close a wait cycle across routes (deadlock). Blocked
    // publishers are served first-come first-served, so a new waiting publisher never overtakes them.
    if (opts?.wait === false || (state.waiting.size < this.capacity && state.blocked.size === 0)) {
      this.enqueue(state, msg);
      return RESOLVED;
    }
    return new Promise<void>((resolve, reject) => {
      state.blocked.push({ msg, resolve, reject });
      this.totalBlocked++;
    });
  }

  subscribe<E extends PipelineEnvelope>(
    route: Route,
    handler: QueueHandler<E>,
    opts: SubscribeOptions,
  ): QueueSubscription {
    if (this.closed) throw new QueueClosedError(`subscribe to '${route}'`);
    const state = this.routes.get(route);
    if (state === undefined) throw new Error(`unknown route '${String(route)}'`);
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) {
      throw new RangeError(
        `subscribe to '${route}': concurrency must be an integer >= 1, got ${opts.concurrency}`,
      );
    }
    const sub = new Subscriber(handler as QueueHandler<PipelineEnvelope>, opts.concurrency);
    state.subscribers = [...state.subscribers, sub];
    this.scheduleDrain(state);
    return {
      stop: () => {
        if (sub.active) {
          sub.active = false;
          state.subscribers = state.subscribers.filter((s) => s !== sub);
          state.cursor = 0;
          // A route held on this one's backlog would wait forever once no subscriber is left to drain it.
          const held = state.heldUpstream;
          if (held !== undefined && state.subscribers.length === 0) {
            state.heldUpstream = undefined;
            this.scheduleDrain(held);
          }
        }
        if (sub.inflight === 0) return RESOLVED;
        return new Promise<void>((resolve) => {
          const previous = sub.onStopped;
          sub.onStopped = () => {
            previous?.();
            resolve();
          };
        });
      },
    };
  }

  async deadLetter(msg: QueueMessage, failure: DeadLetterFailure): Promise<DeadLetterEnvelope> {
    const dl = buildDeadLetter(this.namespace, msg, failure, this.clock());
    await this.dlq.add(dl);
    return dl;
  }

  requeueDeadLetter(id: string): Promise<boolean> {
    return requeueFromDeadLetterStore(this.dlq, id, (dl) =>
      this.publish(dl.sourceRoute, dl.payload, dl.sourcePriority, { wait: false }),
    );
  }

  pause(): void {
    this.pausedFlag = true;
  }

  resume(): void {
    if (!this.pausedFlag) return;
    this.pausedFlag = false;
    for (const state of this.routes.values()) this.scheduleDrain(state);
  }

  depth(route?: Route, priority?: Priority): number {
    if (route !== undefined) {
      const state = this.routes.get(route);
      if (state === undefined) return 0;
      return priority === undefined ? state.waiting.size : state.waiting.sizeOf(priority);
    }
    if (priority === undefined) return this.totalDepth;
    let sum = 0;
    for (const state of this.routes.values()) sum += state.waiting.sizeOf(priority);
    return sum;
  }

  inflight(route?: Route): number {
    if (route === undefined) return this.totalInflight;
    return this.routes.get(route)?.inflight ?? 0;
  }

  /** Publishers waiting for room on `route` (all routes without one). */
  blockedPublishers(route?: Route): number {
    if (route === undefined) return this.totalBlocked;
    return this.routes.get(route)?.blocked.size ?? 0;
  }

  onIdle(): Promise<void> {
    if (this.isIdle()) return RESOLVED;
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const state of this.routes.values()) {
        for (const blocked of state.blocked.drain()) {
          this.totalBlocked--;
          blocked.reject(new QueueClosedError(`publish to '${state.route}'`));
        }
      }
      // Messages backing off go back to their queue now rather than firing into a closed manager.
      for (const [timer, { state, msg }] of this.backingOff) {
        clearTimeout(timer);
        this.enqueue(state, msg);
      }
      this.backingOff.clear();
    }
    if (this.totalInflight === 0) return;
    await new Promise<void>((resolve) => this.settledWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return (
      this.totalDepth === 0 &&
      this.totalInflight === 0 &&
      this.totalBlocked === 0 &&
      this.backingOff.size === 0
    );
  }

  private enqueue(state: RouteState, msg: Message): void {
    msg.enqueuedAtMs = this.clock();
    state.waiting.push(msg.priority, msg, msg.envelope.routing.depth);
    this.totalDepth++;
    this.scheduleDrain(state);
  }

  private scheduleDrain(state: RouteState): void {
    if (state.drainScheduled || this.closed) return;
    state.drainScheduled = true;
    if (this.turnDeliveries < DELIVERIES_PER_TURN) queueMicrotask(() => this.drain(state));
    else setImmediate(() => this.drain(state));
  }

  private drain(state: RouteState): void {
    state.drainScheduled = false;
    // Re-checked per message: a handler's synchronous part may pause or close the manager.
    while (state.waiting.size > 0 && !this.pausedFlag && !this.closed) {
      if (this.turnDeliveries >= DELIVERIES_PER_TURN) {
        this.scheduleDrain(state);
        return;
      }
      if (this.heldByDownstream(state)) return;
      const sub = this.nextFreeSubscriber(state);
      if (sub === undefined) return;
      const msg = state.waiting.pop() as Message;
      this.totalDepth--;
      this.admitBlocked(state);
      this.wakeUpstream(state);
      this.deliver(state, sub, msg);
    }
  }

  /** Whether flow control holds `state`'s deliveries; if so, the downstream route wakes it when it drains. */
  private heldByDownstream(state: RouteState): boolean {
    const hold = state.holdFor;
    // With no subscriber downstream nothing would ever drain it, so there is nothing to wait for.
    if (hold === undefined || hold.downstream.subscribers.length === 0) return false;
    if (hold.downstream.waiting.size < hold.maxWaiting) return false;
    hold.downstream.heldUpstream = state;
    return true;
  }

  private wakeUpstream(state: RouteState): void {
    const upstream = state.heldUpstream;
    if (upstream === undefined || state.waiting.size >= (upstream.holdFor?.maxWaiting ?? 0)) return;
    state.heldUpstream = undefined;
    this.scheduleDrain(upstream);
  }

  /** Counts deliveries made without the event loop getting a turn; see DELIVERIES_PER_TURN. */
  private countDelivery(): void {
    if (this.turnDeliveries++ === 0) {
      setImmediate(() => {
        this.turnDeliveries = 0;
      });
    }
  }

  private nextFreeSubscriber(state: RouteState): Subscriber | undefined {
    const subs = state.subscribers;
    const n = subs.length;
    for (let i = 0; i < n; i++) {
      const index = (state.cursor + i) % n;
      const sub = subs[index] as Subscriber;
      if (sub.inflight < sub.concurrency) {
        state.cursor = (index + 1) % n;
        return sub;
      }
    }
    return undefined;
  }

  /** A slot freed: let blocked publishers in, oldest first, until the route is full again. */
  private admitBlocked(state: RouteState): void {
    while (state.blocked.size > 0 && state.waiting.size < this.capacity) {
      const blocked = state.blocked.shift() as BlockedPublish;
      this.totalBlocked--;
      this.enqueue(state, blocked.msg);
      blocked.resolve();
    }
  }

  private deliver(state: RouteState, sub: Subscriber, msg: Message): void {
    this.countDelivery();
    sub.inflight++;
    state.inflight++;
    this.totalInflight++;
    let result: Promise<void>;
    try {
      result = Promise.resolve(sub.handler(msg));
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      () => this.settle(state, sub),
      (err: unknown) => this.nack(state, sub, msg, err),
    );
  }

  /** Enqueues after `delayMs`; close() enqueues at once instead, so nothing waiting is lost. */
  private enqueueLater(state: RouteState, msg: Message, delayMs: number): void {
    const timer = setTimeout(() => {
      this.backingOff.delete(timer);
      this.enqueue(state, msg);
    }, delayMs);
    this.backingOff.set(timer, { state, msg });
  }

  private nack(state: RouteState, sub: Subscriber, msg: Message, err: unknown): void {
    if (msg.attempt < this.nackMaxRetries) {
      // A retry re-enters past capacity, like wait=false: it was admitted once, and nothing may block in here.
      const retry: Message = { ...msg, attempt: msg.attempt + 1 };
      if (this.nackBackoffMs > 0 && !this.closed) {
        this.enqueueLater(state, retry, this.nackBackoffMs);
      } else {
        this.enqueue(state, retry);
      }
      this.settle(state, sub);
      return;
    }
    // The message stays in flight until its dead letter is stored, so close() and onIdle() cover the write.
    this.deadLetter(msg, {
      reason: reasonOf(err),
      errorKind: errorKindOf(err),
      attempt: msg.attempt + 1,
    }).then(
      () => this.settle(state, sub),
      (storeErr: unknown) => {
        this.onError(storeErr, `dead letter for message ${msg.id} on '${msg.route}' not stored`);
        this.settle(state, sub);
      },
    );
  }

  private settle(state: RouteState, sub: Subscriber): void {
    sub.inflight--;
    state.inflight--;
    this.totalInflight--;
    if (!sub.active && sub.inflight === 0) sub.onStopped?.();
    this.scheduleDrain(state);
    if (this.totalInflight === 0 && this.settledWaiters.length > 0) {
      const waiters = this.settledWaiters;
      this.settledWaiters = [];
      for (const resolve of waiters) resolve();
    }
    if (this.idleWaiters.length > 0 && this.isIdle()) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}

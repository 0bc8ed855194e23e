import { PRIORITIES, type PipelineEnvelope, type Route } from '../envelope.js';
import type { QueueHandler } from '../queue-manager.js';
import { ChunkedFifo } from './chunked-fifo.js';
import { PriorityFifo } from './priority-fifo.js';

/** The in-process delivery state the in-memory and the durable local queues share. */

export const PRIORITY_SET: ReadonlySet<string> = new Set(PRIORITIES);
export const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Drains run as microtasks, and handlers that finish without I/O (parsers) settle as microtasks too, so a pipeline
 * feeding itself could keep the microtask queue busy forever and starve timers and sockets. After this many
 * deliveries in one event-loop turn, draining continues from setImmediate instead.
 */
export const DELIVERIES_PER_TURN = 1024;

export class Subscriber {
  inflight = 0;
  active = true;
  onStopped: (() => void) | undefined = undefined;

  constructor(
    readonly handler: QueueHandler<PipelineEnvelope>,
    readonly concurrency: number,
  ) {}
}

/** One route: its waiting items by priority, its blocked publishers, its subscribers. */
export class RouteState<Item, Blocked> {
  readonly waiting: PriorityFifo<Item>;
  /** Publishers blocked by capacity, in arrival order; each holds its message until there is room. */
  readonly blocked = new ChunkedFifo<Blocked>();
  subscribers: Subscriber[] = [];
  /** Round-robin start, so several subscriptions of one route share the work. */
  cursor = 0;
  inflight = 0;
  drainScheduled = false;
  /** Flow control: deliveries here hold while `downstream` has `maxWaiting` or more messages waiting. */
  holdFor: { downstream: RouteState<Item, Blocked>; maxWaiting: number } | undefined = undefined;
  /** The upstream route held on this one's backlog, to wake once it falls below `maxWaiting`. */
  heldUpstream: RouteState<Item, Blocked> | undefined = undefined;

  constructor(
    readonly route: Route,
    starvationLimit: number | undefined,
  ) {
    this.waiting = new PriorityFifo<Item>(starvationLimit);
  }
}

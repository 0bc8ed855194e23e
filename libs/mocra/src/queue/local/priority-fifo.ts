import type { Priority } from '../../request/request-data.js';
import { DepthFifo } from './depth-fifo.js';

export const DEFAULT_STARVATION_LIMIT = 32;

const HIGH = 0;
const NORMAL = 1;
const LOW = 2;
type Class = typeof HIGH | typeof NORMAL | typeof LOW;

function classOf(priority: Priority): Class {
  return priority === 'high' ? HIGH : priority === 'low' ? LOW : NORMAL;
}

/**
 * Three classes served high before normal before low; within a class, deepest crawl depth first (see DepthFifo). Strict priority would starve low under a steady stream of high
 * work, so each lower class counts the consecutive pops that passed it over while it waited; once a count reaches
 * `starvationLimit` the highest such class gets one item. With all three saturated and the default limit the
 * pattern is 32 high, 1 normal, 1 low, repeated.
 */
export class PriorityFifo<T> {
  private readonly queues = [new DepthFifo<T>(), new DepthFifo<T>(), new DepthFifo<T>()] as const;
  /** Pops that skipped a waiting normal / low item since that class was last served. */
  private skippedNormal = 0;
  private skippedLow = 0;
  private count = 0;

  constructor(private readonly starvationLimit = DEFAULT_STARVATION_LIMIT) {
    if (!Number.isInteger(starvationLimit) || starvationLimit < 1) {
      throw new RangeError(`starvationLimit must be an integer >= 1, got ${starvationLimit}`);
    }
  }

  get size(): number {
    return this.count;
  }

  sizeOf(priority: Priority): number {
    return this.queues[classOf(priority)].size;
  }

  /** `depth`: hops from the task (RoutingMeta.depth); 0 when unknown. */
  push(priority: Priority, item: T, depth = 0): void {
    this.queues[classOf(priority)].push(item, depth);
    this.count++;
  }

  pop(): T | undefined {
    if (this.count === 0) return undefined;
    const [high, normal, low] = this.queues;
    let cls: Class;
    if (normal.size > 0 && this.skippedNormal >= this.starvationLimit) cls = NORMAL;
    else if (low.size > 0 && this.skippedLow >= this.starvationLimit) cls = LOW;
    else cls = high.size > 0 ? HIGH : normal.size > 0 ? NORMAL : LOW;

    if (cls === NORMAL) this.skippedNormal = 0;
    else if (normal.size > 0 && cls === HIGH) this.skippedNormal++;
    if (cls === LOW) this.skippedLow = 0;
    else if (low.size > 0) this.skippedLow++;

    this.count--;
    return this.queues[cls].shift();
  }

  /** Removes and returns every item, high first, each class deepest first, oldest first within a depth. */
  drain(): T[] {
    const out = [...this.queues[HIGH].drain(), ...this.queues[NORMAL].drain(), ...this.queues[LOW].drain()];
    this.count = 0;
    this.skippedNormal = 0;
    this.skippedLow = 0;
    return out;
  }
}

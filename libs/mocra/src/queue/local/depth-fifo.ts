import { ChunkedFifo } from './chunked-fifo.js';

/** After this many consecutive pops from deeper buckets, the shallowest bucket is served once. */
export const SHALLOW_TURN_EVERY = 64;

const MAX_SPARE_BUCKETS = 4;

/**
 * One priority class of an in-process queue: items bucketed by crawl depth (hops from the task), the deepest bucket
 * served first, oldest first within a bucket.
 *
 * Why deepest first: a wide crawl's list pages each add tens of product requests. Served oldest first, every list
 * page is fetched before the first product, and all products wait in memory at once (100,000 envelopes for a
 * 100,000-product catalog). Served deepest first, a list page's products are fetched before the next list page, so
 * what waits stays near concurrency x fan-out: the same order Scrapy's default LIFO scheduling gives, without
 * reversing siblings. One pop in SHALLOW_TURN_EVERY goes to the shallowest bucket, so shallow work (new runs, the
 * remaining list pages) keeps moving however deep a crawl runs.
 */
export class DepthFifo<T> {
  private readonly buckets = new Map<number, ChunkedFifo<T>>();
  /** Depths with a non-empty bucket, ascending. Crawls have few distinct live depths, so a sorted array is cheap. */
  private readonly depths: number[] = [];
  /** Emptied buckets kept for reuse: a bucket empties and refills constantly, and each new one allocates a chunk. */
  private readonly spares: ChunkedFifo<T>[] = [];
  private deepTurns = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(item: T, depth = 0): void {
    let bucket = this.buckets.get(depth);
    if (bucket === undefined) {
      bucket = this.spares.pop() ?? new ChunkedFifo<T>();
      this.buckets.set(depth, bucket);
      this.insertDepth(depth);
    }
    bucket.push(item);
    this.count++;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    let index = this.depths.length - 1;
    if (index > 0 && ++this.deepTurns >= SHALLOW_TURN_EVERY) index = 0;
    if (index === 0) this.deepTurns = 0;
    const depth = this.depths[index] as number;
    const bucket = this.buckets.get(depth) as ChunkedFifo<T>;
    const item = bucket.shift() as T;
    this.count--;
    if (bucket.size === 0) {
      this.buckets.delete(depth);
      this.depths.splice(index, 1);
      if (this.spares.length < MAX_SPARE_BUCKETS) this.spares.push(bucket);
    }
    return item;
  }

  /** Removes and returns every item, in the order shift() would have given them without shallow turns. */
  drain(): T[] {
    const out: T[] = [];
    for (let i = this.depths.length - 1; i >= 0; i--) {
      out.push(...(this.buckets.get(this.depths[i] as number) as ChunkedFifo<T>).drain());
    }
    this.buckets.clear();
    this.depths.length = 0;
    this.count = 0;
    this.deepTurns = 0;
    return out;
  }

  private insertDepth(depth: number): void {
    const depths = this.depths;
    let i = depths.length;
    // New depths are usually the deepest yet (a crawl going one hop further), so scan from the end.
    while (i > 0 && (depths[i - 1] as number) > depth) i--;
    depths.splice(i, 0, depth);
  }
}

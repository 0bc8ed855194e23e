/** Items per chunk: big enough to amortise allocation, small enough that an idle queue holds little. */
const CHUNK_SIZE = 1024;

interface Chunk<T> {
  items: Array<T | undefined>;
  next: Chunk<T> | undefined;
}

function newChunk<T>(): Chunk<T> {
  return { items: new Array<T | undefined>(CHUNK_SIZE), next: undefined };
}

/**
 * FIFO as a linked list of fixed-size chunks: push and shift are O(1) with no array re-indexing (Array#shift is
 * O(n) on large arrays). One drained chunk is kept as a spare so a queue hovering around a chunk boundary does not
 * allocate on every crossing.
 */
export class ChunkedFifo<T> {
  private head: Chunk<T> = newChunk<T>();
  private tail: Chunk<T> = this.head;
  private readIndex = 0;
  private writeIndex = 0;
  private spare: Chunk<T> | undefined = undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.writeIndex === CHUNK_SIZE) {
      const chunk = this.spare ?? newChunk<T>();
      this.spare = undefined;
      this.tail.next = chunk;
      this.tail = chunk;
      this.writeIndex = 0;
    }
    this.tail.items[this.writeIndex++] = item;
    this.count++;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    if (this.readIndex === CHUNK_SIZE) {
      const drained = this.head;
      // count > 0 and the head chunk is fully read, so a next chunk exists.
      this.head = drained.next as Chunk<T>;
      drained.next = undefined;
      this.spare = drained;
      this.readIndex = 0;
    }
    const items = this.head.items;
    const item = items[this.readIndex] as T;
    items[this.readIndex++] = undefined; // let the item be collected
    this.count--;
    if (this.count === 0 && this.head === this.tail) {
      // Empty: rewind in place instead of walking into a new chunk later.
      this.readIndex = 0;
      this.writeIndex = 0;
    }
    return item;
  }

  peek(): T | undefined {
    if (this.count === 0) return undefined;
    if (this.readIndex === CHUNK_SIZE) return this.head.next?.items[0];
    return this.head.items[this.readIndex];
  }

  /** Removes and returns every item, oldest first. */
  drain(): T[] {
    const out: T[] = [];
    while (this.count > 0) out.push(this.shift() as T);
    return out;
  }
}

import { RaftError } from './errors.js';

/**
 * Sliding window of in-flight 'app' messages to one follower (last index and payload bytes of each), as a ring
 * buffer: the leader stops sending when it is full and frees slots as acknowledgements arrive.
 */
export class Inflights {
  private start = 0;
  private count_ = 0;
  private bytes_ = 0;
  private readonly indexes: number[];
  private readonly sizes: number[];

  constructor(
    readonly size: number,
    readonly maxBytes = Infinity,
  ) {
    if (size < 1) throw new RaftError(`inflights: size must be >= 1, got ${size}`);
    this.indexes = new Array<number>(size).fill(0);
    this.sizes = new Array<number>(size).fill(0);
  }

  get count(): number {
    return this.count_;
  }

  get bytes(): number {
    return this.bytes_;
  }

  /** Records a message whose last entry is `index`; indexes must increase. */
  add(index: number, bytes: number): void {
    if (this.full()) throw new RaftError('inflights: cannot add into a full window');
    const slot = (this.start + this.count_) % this.size;
    this.indexes[slot] = index;
    this.sizes[slot] = bytes;
    this.count_++;
    this.bytes_ += bytes;
  }

  /** Frees every message whose last index is <= to. */
  freeLE(to: number): void {
    if (this.count_ === 0 || to < this.indexes[this.start]!) return;
    let i = 0;
    let idx = this.start;
    let freedBytes = 0;
    for (; i < this.count_; i++) {
      if (to < this.indexes[idx]!) break;
      freedBytes += this.sizes[idx]!;
      idx = (idx + 1) % this.size;
    }
    this.count_ -= i;
    this.bytes_ -= freedBytes;
    this.start = this.count_ === 0 ? 0 : idx;
  }

  /** Frees the oldest in-flight message regardless of acknowledgement. */
  freeFirstOne(): void {
    if (this.count_ === 0) return;
    this.freeLE(this.indexes[this.start]!);
  }

  full(): boolean {
    return this.count_ === this.size || (this.maxBytes !== Infinity && this.bytes_ >= this.maxBytes);
  }

  reset(): void {
    this.start = 0;
    this.count_ = 0;
    this.bytes_ = 0;
  }
}

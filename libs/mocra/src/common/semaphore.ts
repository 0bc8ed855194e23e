/** Counting semaphore with a FIFO of waiters; `limit` can change at runtime (config overrides). */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  private head = 0;

  constructor(private limit: number) {}

  get inUse(): number {
    return this.active;
  }

  setLimit(limit: number): void {
    this.limit = limit;
    this.drain();
  }

  /** Resolves immediately (no promise allocation) when a slot is free. */
  acquire(): Promise<void> | undefined {
    if (this.tryAcquire()) return undefined;
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Takes a slot if one is free and nobody is waiting for one; otherwise takes nothing and queues nothing. */
  tryAcquire(): boolean {
    if (this.active < this.limit && this.head === this.waiters.length) {
      this.active++;
      return true;
    }
    return false;
  }

  release(): void {
    this.active--;
    this.drain();
  }

  /** `release` bound once, for promise reactions: one per download, so no closure per call. */
  readonly releaser = (): void => this.release();

  private drain(): void {
    while (this.active < this.limit && this.head < this.waiters.length) {
      const next = this.waiters[this.head]!;
      this.waiters[this.head++] = undefined as unknown as () => void;
      if (this.head > 1024 && this.head * 2 > this.waiters.length) {
        this.waiters.splice(0, this.head);
        this.head = 0;
      }
      this.active++;
      next();
    }
  }
}

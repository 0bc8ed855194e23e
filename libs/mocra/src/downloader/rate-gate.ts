/**
 * One rate-limited key: a FIFO of waiters and a single holder. The next send is due at the later of the nominal
 * schedule (one interval after the previous slot: the long-run rate never exceeds the limit) and the previous ACTUAL
 * send + (1 - catchUp) x interval (a late send cannot squeeze the next one against it).
 *
 * A send less than one interval late takes the slot it was due in, not one starting at its own instant: the schedule
 * keeps its place and the sends after it come catchUp x interval closer together until they are back on it. Taking
 * the late instant would lose every late millisecond for good, and a process descheduled now and then would fall
 * below its rate. A send later than that (a key left idle) starts the schedule afresh, so an idle key never owes
 * sends that would then come in a burst.
 */
export class RateGate {
  nominalDue = -Infinity;
  lastSent = -Infinity;
  held = false;
  private readonly waiters: Array<() => void> = [];
  private head = 0;

  get idle(): boolean {
    return !this.held && this.head === this.waiters.length;
  }

  enter(): Promise<void> | undefined {
    if (this.idle) {
      this.held = true;
      return undefined;
    }
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** The earliest instant the next send may happen: never closer than (1 - catchUp) x interval to the last. */
  floorAt(intervalMs: number, catchUp: number): number {
    return this.lastSent + intervalMs * (1 - catchUp);
  }

  dueAt(intervalMs: number, catchUp: number): number {
    return Math.max(this.nominalDue, this.floorAt(intervalMs, catchUp));
  }

  /** Takes the slot of a send at `sentAt`: the one it was due in, or `sentAt` itself when it is an interval late. */
  take(sentAt: number, intervalMs: number): void {
    const slot = sentAt - this.nominalDue < intervalMs ? this.nominalDue : sentAt;
    this.nominalDue = slot + intervalMs;
    this.lastSent = sentAt;
  }

  /** The send really left at `sentAt` (later than its grant): later sends are spaced from here. */
  sentAt(sentAt: number): void {
    if (sentAt > this.lastSent) this.lastSent = sentAt;
  }

  leave(): void {
    if (this.head < this.waiters.length) {
      const next = this.waiters[this.head]!;
      this.waiters[this.head++] = undefined as unknown as () => void;
      if (this.head > 256 && this.head * 2 > this.waiters.length) {
        this.waiters.splice(0, this.head);
        this.head = 0;
      }
      next(); // the slot passes straight to the next waiter: `held` stays true
    } else {
      this.held = false;
    }
  }
}

/**
 * GCRA rate limiter (the virtual-scheduling form of a token bucket): one number of state, no timers unless a
 * caller must wait, no busy-waiting. A rate of 0 means "no limit" (the seed turned 0 into 1 req/s, a trap).
 */
export class RateLimiter {
  private theoreticalArrivalMs = 0;
  private intervalMs: number;

  constructor(
    ratePerSecond: number,
    private readonly burst = 1,
    private readonly clock: () => number = Date.now,
  ) {
    this.intervalMs = ratePerSecond > 0 ? 1000 / ratePerSecond : 0;
  }

  setRate(ratePerSecond: number): void {
    this.intervalMs = ratePerSecond > 0 ? 1000 / ratePerSecond : 0;
  }

  get unlimited(): boolean {
    return this.intervalMs === 0;
  }

  /** Reserves the next slot and returns how long the caller must wait for it (0 = go now). */
  reserve(): number {
    if (this.intervalMs === 0) return 0;
    const now = this.clock();
    const tat = Math.max(this.theoreticalArrivalMs, now);
    const allowAt = tat - this.intervalMs * (this.burst - 1);
    this.theoreticalArrivalMs = tat + this.intervalMs;
    return Math.max(0, allowAt - now);
  }

  /** Waits for the next slot. */
  acquire(): Promise<void> | undefined {
    const wait = this.reserve();
    if (wait <= 0) return undefined;
    return new Promise((resolve) => setTimeout(resolve, wait));
  }
}

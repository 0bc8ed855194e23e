/** Callers waiting for an outcome, each with a deadline. One sweep timer for all, not one timer per call. */
export class PendingCalls<K, T> {
  private readonly calls = new Map<
    K,
    { resolve(value: T): void; reject(error: Error): void; deadline: number }
  >();

  get size(): number {
    return this.calls.size;
  }

  add(key: K, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.calls.set(key, { resolve, reject, deadline: performance.now() + timeoutMs });
    });
  }

  has(key: K): boolean {
    return this.calls.has(key);
  }

  resolve(key: K, value: T): void {
    const call = this.calls.get(key);
    if (!call) return;
    this.calls.delete(key);
    call.resolve(value);
  }

  reject(key: K, error: Error): void {
    const call = this.calls.get(key);
    if (!call) return;
    this.calls.delete(key);
    call.reject(error);
  }

  /** Rejects calls past their deadline. Calls share one timeout, so insertion order is deadline order. */
  expire(now: number, error: () => Error): void {
    for (const [key, call] of this.calls) {
      if (call.deadline > now) break;
      this.calls.delete(key);
      call.reject(error());
    }
  }

  rejectAll(error: () => Error): void {
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const call of calls) call.reject(error());
  }
}

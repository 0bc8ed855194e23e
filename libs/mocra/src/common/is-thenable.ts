/**
 * Whether a user hook returned a promise (or any thenable) rather than its value. The engine awaits only then: an
 * `await` on a plain value still costs a microtask turn, a promise and a resumption per call.
 */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

import type { Dispatcher } from 'undici';

/** Where a request's dispatch options carry the callback (the options object reaches interceptors unchanged). */
const ON_SENT = Symbol('mocra.onSent');

type WithOnSent = { [ON_SENT]?: () => void };

/** Marks undici request options so a dispatcher from `reportingSent` calls `onSent` as the request is written. */
export function withOnSent<T extends object>(options: T, onSent: (() => void) | undefined): T {
  if (onSent !== undefined) (options as WithOnSent)[ON_SENT] = onSent;
  return options;
}

/**
 * Forwards every callback to the request's own handler, and calls `onSent` just after undici writes the request
 * to its connection: `onRequestStart` runs synchronously right before the request line is written, after any
 * connect, so it marks the moment the request leaves better than anything the caller can see.
 */
class SentReportingHandler implements Dispatcher.DispatchHandler {
  constructor(
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly onSent: () => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    // The write follows synchronously in the same call stack: a microtask runs after it, so a process descheduled
    // in between can only make the reported instant later (a longer gap), never earlier.
    queueMicrotask(this.onSent);
    this.inner.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestUpgrade']>>[2],
    socket: Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestUpgrade']>>[3],
  ): void {
    this.inner.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseStart']>>[2],
    statusMessage?: string,
  ): void {
    this.inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.inner.onResponseData?.(controller, chunk);
  }

  onResponseEnd(
    controller: Dispatcher.DispatchController,
    trailers: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseEnd']>>[1],
  ): void {
    this.inner.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.inner.onResponseError?.(controller, error);
  }
}

const reportSent: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
  const onSent = (opts as WithOnSent)[ON_SENT];
  return dispatch(opts, onSent === undefined ? handler : new SentReportingHandler(handler, onSent));
};

const composed = new WeakMap<Dispatcher, Dispatcher>();

/**
 * The same dispatcher (same connections) with the sent report; only rate-limited downloads go through it, so the
 * unlimited hot path pays nothing.
 */
export function reportingSent(dispatcher: Dispatcher): Dispatcher {
  let out = composed.get(dispatcher);
  if (out === undefined) {
    out = dispatcher.compose(reportSent);
    composed.set(dispatcher, out);
  }
  return out;
}

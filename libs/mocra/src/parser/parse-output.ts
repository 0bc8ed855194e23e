/** One `withNext` dispatch: run `target`'s generate() with `input`. */
export interface NextDispatch {
  target: string;
  input: unknown;
}

/** What a node's parse() returns: next dispatches, data items, and whether the run's branch ends here. */
export class ParseOutput<T = unknown> {
  readonly next: NextDispatch[] = [];
  readonly data: T[] = [];
  finished = false;

  /** Dispatch `input` to the node with key `target`; the edge must be declared with `@Next(target)`. */
  withNext(target: string, input?: unknown): this {
    this.next.push({ target, input });
    return this;
  }

  withData(...items: T[]): this {
    for (const item of items) this.data.push(item);
    return this;
  }

  /** Ends the module run: no new requests are generated for it; work already queued still completes. */
  finish(): this {
    this.finished = true;
    return this;
  }
}

import type { Request } from '../request/request.js';
import type { Response } from '../request/response.js';
import type { MaybePromise } from '../engine/crawler-node.interface.js';
import type { ModuleRunContext } from '../engine/crawl-context.js';

/** An item emitted by `ParseOutput.withData`, with where it came from. */
export interface DataItem<T = unknown> {
  data: T;
  module: string;
  nodeKey: string;
  runId: string;
  account: string;
  platform: string;
  /** Id of the request whose response produced this item: stores can deduplicate by it after a crash. */
  requestId: string;
  /** Position of the item in its parse output: (requestId, itemIndex) identifies an item across redeliveries. */
  itemIndex: number;
  url: string;
  emittedAtMs: number;
}

/** `@DownloadMiddleware`: rewrite or drop (return null) requests and responses. */
export interface DownloadMiddlewareHandler {
  beforeRequest?(request: Request, ctx: ModuleRunContext): MaybePromise<Request | null>;
  afterResponse?(response: Response, ctx: ModuleRunContext): MaybePromise<Response | null>;
  close?(): MaybePromise<void>;
}

/** `@DataMiddleware`: transform or drop (return null) items before they are stored. */
export interface DataMiddlewareHandler {
  handleData(item: DataItem, ctx: ModuleRunContext): MaybePromise<DataItem | null>;
  close?(): MaybePromise<void>;
}

/** `@StoreMiddleware`: persist items. */
export interface StoreMiddlewareHandler {
  beforeStore?(item: DataItem, ctx: ModuleRunContext): MaybePromise<DataItem | null>;
  store(item: DataItem, ctx: ModuleRunContext): MaybePromise<void>;
  afterStore?(item: DataItem, ctx: ModuleRunContext): MaybePromise<void>;
  /** Called at shutdown and when the engine needs the data durable. */
  flush?(): MaybePromise<void>;
  close?(): MaybePromise<void>;
}

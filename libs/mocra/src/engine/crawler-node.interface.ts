import type { Request } from '../request/request.js';
import type { Response } from '../request/response.js';
import type { ParseOutput } from '../parser/parse-output.js';
import type { GenerateContext, ModuleRunContext, ParseContext } from './crawl-context.js';

export type MaybePromise<T> = T | Promise<T>;

export type GenerateResult =
  Request | Request[] | Iterable<Request> | AsyncIterable<Request> | null | undefined;

/** A workflow node: generates requests from its input, parses their responses. */
export interface CrawlerNode<I = unknown> {
  generate(ctx: GenerateContext<I>): MaybePromise<GenerateResult>;
  parse(response: Response, ctx: ParseContext): MaybePromise<ParseOutput>;
}

/** Optional lifecycle hooks of a `@CrawlerModule` class, run once per module run. */
export interface CrawlerModuleHooks {
  preProcess?(ctx: ModuleRunContext): MaybePromise<void>;
  postProcess?(ctx: ModuleRunContext, summary: ModuleRunSummary): MaybePromise<void>;
}

/** What a run (or one module of it) did. */
export interface RunCounters {
  pages: number;
  items: number;
  errors: number;
  retries: number;
  deadLettered: number;
  duplicates: number;
  requests: number;
  bytes: number;
}

export const RUN_COUNTERS = [
  'pages',
  'items',
  'errors',
  'retries',
  'deadLettered',
  'duplicates',
  'requests',
  'bytes',
] as const satisfies ReadonlyArray<keyof RunCounters>;

export interface ModuleRunSummary extends RunCounters {
  module: string;
  runId: string;
}

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

export interface ModuleRunSummary {
  module: string;
  runId: string;
  pages: number;
  items: number;
  errors: number;
  retries: number;
  deadLettered: number;
  duplicates: number;
  requests: number;
  bytes: number;
}

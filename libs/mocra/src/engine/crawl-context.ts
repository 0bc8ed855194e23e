import type { Logger } from '@nestjs/common';
import type { Request } from '../request/request.js';

/** Identity of the work a node is doing. */
export interface CrawlScope {
  module: string;
  nodeKey: string;
  runId: string;
  account: string;
  platform: string;
}

/** Passed to a node's generate(). `input` is what the dispatching parse gave `withNext` (undefined at entry). */
export interface GenerateContext<I = unknown> extends CrawlScope {
  readonly input: I | undefined;
  /** The module's `[modules.<name>.settings]` table. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly logger: Logger;
}

/** Passed to a node's parse(). */
export interface ParseContext extends CrawlScope {
  readonly config: Readonly<Record<string, unknown>>;
  readonly request: Request;
  readonly logger: Logger;
}

/** Passed to module hooks and middleware. */
export interface ModuleRunContext {
  module: string;
  runId: string;
  account: string;
  platform: string;
  readonly config: Readonly<Record<string, unknown>>;
}

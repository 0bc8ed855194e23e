import { Logger } from '@nestjs/common';
import type { GenerateContext, ParseContext } from '../engine/crawl-context.js';
import { Request } from '../request/request.js';

/** Identity fields of a test context; every one has a default so a test sets only what its node reads. */
export interface ScopeOptions {
  /** Default 'test'. */
  module?: string;
  /** Default 'node'. */
  nodeKey?: string;
  /** Default 'test-run'. */
  runId?: string;
  /** Default 'default'. */
  account?: string;
  /** Default 'default'. */
  platform?: string;
  /** The module's `[modules.<name>.settings]` table, seen by the node as `ctx.config`. Default {}. */
  config?: Readonly<Record<string, unknown>>;
  /** Default: a Nest Logger named `<module>:<nodeKey>`. */
  logger?: Logger;
}

export interface GenerateContextOptions<I = unknown> extends ScopeOptions {
  /** What a parse gave `withNext`; leave it out to test the node as an entry node. */
  input?: I;
}

export interface ParseContextOptions extends ScopeOptions {
  /** The request being parsed. Default: a GET of `url`. */
  request?: Request;
  /** Used when `request` is not given. Default 'http://localhost/'. */
  url?: string;
}

function scope(opts: ScopeOptions) {
  const module = opts.module ?? 'test';
  const nodeKey = opts.nodeKey ?? 'node';
  return {
    module,
    nodeKey,
    runId: opts.runId ?? 'test-run',
    account: opts.account ?? 'default',
    platform: opts.platform ?? 'default',
    config: Object.freeze({ ...(opts.config ?? {}) }),
    logger: opts.logger ?? new Logger(`${module}:${nodeKey}`),
  };
}

/** The context the runtime gives a node's `generate()`, built from defaults plus what the test sets. */
export function createGenerateContext<I = unknown>(opts: GenerateContextOptions<I> = {}): GenerateContext<I> {
  return { ...scope(opts), input: opts.input };
}

/** The context the runtime gives a node's `parse()`, built from defaults plus what the test sets. */
export function createParseContext(opts: ParseContextOptions = {}): ParseContext {
  return { ...scope(opts), request: opts.request ?? Request.get(opts.url ?? 'http://localhost/') };
}

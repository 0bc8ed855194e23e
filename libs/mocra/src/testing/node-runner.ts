import { AssertionError } from 'node:assert';
import { NODE_METADATA } from '../mocra.constants.js';
import type { NodeMetadata } from '../decorators/node.decorator.js';
import type { GenerateContext, ParseContext } from '../engine/crawl-context.js';
import type { CrawlerNode } from '../engine/crawler-node.interface.js';
import { ParseOutput } from '../parser/parse-output.js';
import { Request } from '../request/request.js';
import type { Response } from '../request/response.js';
import { createGenerateContext, createParseContext } from './crawl-context.factory.js';

/** The `@Node` key of a node instance, or undefined for an undecorated class. */
export function nodeKeyOf(node: object): string | undefined {
  const meta = Reflect.getMetadata(NODE_METADATA, node.constructor) as NodeMetadata | undefined;
  return meta?.key;
}

function label(node: object): string {
  const key = nodeKeyOf(node);
  return key === undefined ? node.constructor.name : `node "${key}" (${node.constructor.name})`;
}

function isIterable(value: object): value is Iterable<unknown> {
  return typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

function isAsyncIterable(value: object): value is AsyncIterable<unknown> {
  return typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/**
 * Runs `node.generate(ctx)` and collects every request it yields, whatever the form (one request, an array, an
 * iterable, an async iterable, null). `ctx` defaults to an entry context for the node's key.
 */
export async function runGenerate<I>(node: CrawlerNode<I>, ctx?: GenerateContext<I>): Promise<Request[]> {
  const context = ctx ?? createGenerateContext<I>({ nodeKey: nodeKeyOf(node) });
  const result = await node.generate(context);
  const out: Request[] = [];
  const take = (value: unknown, index: number): void => {
    if (!(value instanceof Request)) {
      throw new AssertionError({
        message: `${label(node)}: generate() yielded ${describe(value)} at position ${index}, expected a Request`,
      });
    }
    out.push(value);
  };
  if (result === null || result === undefined) return out;
  if (result instanceof Request) return [result];
  if (isAsyncIterable(result)) {
    for await (const value of result) take(value, out.length);
  } else if (isIterable(result)) {
    for (const value of result) take(value, out.length);
  } else {
    take(result, 0);
  }
  return out;
}

/** Runs `node.parse(response, ctx)`; `ctx` defaults to a context whose request is the response's request. */
export async function runParse<I, T = unknown>(
  node: CrawlerNode<I>,
  response: Response,
  ctx?: ParseContext,
): Promise<ParseOutput<T>> {
  const context = ctx ?? createParseContext({ nodeKey: nodeKeyOf(node), request: response.request });
  const output: unknown = await node.parse(response, context);
  if (!(output instanceof ParseOutput)) {
    throw new AssertionError({
      message: `${label(node)}: parse() returned ${describe(output)}, expected a ParseOutput`,
    });
  }
  return output as ParseOutput<T>;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`;
  return `${typeof value} ${String(value)}`;
}

import { compile, selectAll, selectOne } from 'css-select';
import type { AnyNode, Element } from 'domhandler';

/** A selector compiled once, run against any document. */
export interface CompiledSelector {
  all(root: AnyNode): Element[];
  first(root: AnyNode): Element | undefined;
}

// Parse output code uses a handful of constant selectors; compiling one costs more than running it on a page, so
// they are kept. The cap only guards against selectors built from page content.
const MAX_CACHED = 512;
const cache = new Map<string, CompiledSelector | null>();

/**
 * The compiled form of `selector`, or undefined when css-select cannot compile it (cheerio's jQuery extensions
 * such as `:first` or `:eq(1)`, or a syntax error, which cheerio then reports in its own words).
 */
export function compiledSelector(selector: string): CompiledSelector | undefined {
  let hit = cache.get(selector);
  if (hit === undefined) {
    hit = compileOrNull(selector);
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(selector, hit);
  }
  return hit ?? undefined;
}

function compileOrNull(selector: string): CompiledSelector | null {
  let query: ReturnType<typeof compile<AnyNode, Element>>;
  try {
    query = compile<AnyNode, Element>(selector);
  } catch {
    return null;
  }
  return {
    all: (root) => selectAll<AnyNode, Element>(query, root),
    first: (root) => selectOne<AnyNode, Element>(query, root) ?? undefined,
  };
}

import {
  Next,
  Node,
  ParseOutput,
  Request,
  type CrawlerNode,
  type GenerateContext,
  type ParseContext,
} from '@mocra/core';
import type { Response } from '@mocra/core';

export interface ListInput {
  url: string;
}

/** A catalog list page: dispatches every product link and every further list page. */
@Node('list', { entry: true })
@Next('product')
@Next('list')
export class CatalogListNode implements CrawlerNode<ListInput> {
  generate(ctx: GenerateContext<ListInput>): Request {
    const start = String(ctx.config['start_url'] ?? `${String(ctx.config['base'])}/catalog/1`);
    return Request.get(ctx.input?.url ?? start);
  }

  parse(res: Response, _ctx: ParseContext): ParseOutput {
    const out = new ParseOutput();
    for (const url of res.links('a.product')) out.withNext('product', { url });
    for (const url of res.links('a[href*="/catalog/"]')) out.withNext('list', { url });
    return out;
  }
}

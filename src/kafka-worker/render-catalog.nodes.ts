import {
  Next,
  Node,
  ParseOutput,
  Request,
  type CrawlerNode,
  type GenerateContext,
  type ParseContext,
  type Response,
} from '@mocra/core';
import type { ListInput } from '../catalog/catalog-list.node.js';
import type { Product, ProductInput } from '../catalog/catalog-product.node.js';
import { NodeCounters } from './node-counters.js';

/** The catalog's list pages, run by any download/parse worker. */
@Node('list', { entry: true })
@Next('product')
@Next('list')
export class RenderListNode implements CrawlerNode<ListInput> {
  generate(ctx: GenerateContext<ListInput>): Request {
    NodeCounters.count('list', 'generate');
    return Request.get(ctx.input?.url ?? `${String(ctx.config['base'])}/catalog/1`);
  }

  parse(res: Response, _ctx: ParseContext): ParseOutput {
    NodeCounters.count('list', 'parse');
    const out = new ParseOutput();
    for (const url of res.links('a.product')) out.withNext('product', { url });
    for (const url of res.links('a[href*="/catalog/"]')) out.withNext('list', { url });
    return out;
  }
}

/** Product pages placed on the "render" worker group: only processes declaring it may run them. */
@Node('product', { placement: { workerGroup: 'render' } })
export class RenderProductNode implements CrawlerNode<ProductInput> {
  generate(ctx: GenerateContext<ProductInput>): Request | null {
    NodeCounters.count('product', 'generate');
    return ctx.input ? Request.get(ctx.input.url) : null;
  }

  parse(res: Response, _ctx: ParseContext): ParseOutput<Product> {
    NodeCounters.count('product', 'parse');
    const $ = res.$;
    const sku = $('.sku').first().text().trim();
    return new ParseOutput<Product>().withData({
      id: Number(sku.replace(/^SKU-/, '')),
      name: $('h1.name').first().text().trim(),
      price: Number(
        $('.price')
          .first()
          .text()
          .replace(/[^0-9.]/g, ''),
      ),
      sku,
      url: res.url,
    });
  }
}

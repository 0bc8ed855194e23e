import {
  Node,
  ParseOutput,
  Request,
  type CrawlerNode,
  type GenerateContext,
  type ParseContext,
} from '@mocra/core';
import type { Response } from '@mocra/core';

export interface ProductInput {
  url: string;
}

export interface Product {
  id: number;
  name: string;
  price: number;
  sku: string;
  url: string;
}

/** A product page: emits one item. */
@Node('product')
export class CatalogProductNode implements CrawlerNode<ProductInput> {
  generate(ctx: GenerateContext<ProductInput>): Request | null {
    return ctx.input ? Request.get(ctx.input.url) : null;
  }

  parse(res: Response, _ctx: ParseContext): ParseOutput<Product> {
    const sku = res.cssFirst('.sku') ?? '';
    const product: Product = {
      id: Number(sku.replace(/^SKU-/, '')),
      name: res.cssFirst('h1.name') ?? '',
      price: Number((res.cssFirst('.price') ?? '').replace(/[^0-9.]/g, '')),
      sku,
      url: res.url,
    };
    return new ParseOutput<Product>().withData(product);
  }
}

import { CrawlerModule } from '@mocra/core';
import { RenderListNode, RenderProductNode } from './render-catalog.nodes.js';

/** The catalog crawl with its product pages placed on the "render" worker group. */
@CrawlerModule({
  name: 'render_catalog',
  version: 1,
  nodes: [RenderListNode, RenderProductNode],
  concurrency: 64,
  storeMiddleware: ['jsonl'],
})
export class RenderCatalogModule {}

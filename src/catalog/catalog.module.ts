import {
  CrawlerModule,
  type CrawlerModuleHooks,
  type ModuleRunContext,
  type ModuleRunSummary,
} from '@mocra/core';
import { Logger } from '@nestjs/common';
import { CatalogListNode } from './catalog-list.node.js';
import { CatalogProductNode } from './catalog-product.node.js';

/** Crawls a catalog: list pages (paginated) linking to product pages; one item per product. */
@CrawlerModule({
  name: 'catalog',
  version: 1,
  nodes: [CatalogListNode, CatalogProductNode],
  concurrency: 64,
  storeMiddleware: ['jsonl'],
})
export class CatalogModule implements CrawlerModuleHooks {
  private readonly logger = new Logger('catalog');

  preProcess(ctx: ModuleRunContext): void {
    this.logger.log(`run ${ctx.runId}: starting at ${String(ctx.config['start_url'] ?? ctx.config['base'])}`);
  }

  postProcess(ctx: ModuleRunContext, summary: ModuleRunSummary): void {
    this.logger.log(`run ${ctx.runId}: ${summary.items} products from ${summary.pages} pages`);
  }
}

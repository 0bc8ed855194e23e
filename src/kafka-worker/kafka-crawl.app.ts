import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { JsonlStore, MocraModule } from '@mocra/core';
import { CatalogListNode } from '../catalog/catalog-list.node.js';
import { CatalogProductNode } from '../catalog/catalog-product.node.js';
import { CatalogModule } from '../catalog/catalog.module.js';
import { RenderCatalogModule } from './render-catalog.module.js';
import { RenderListNode, RenderProductNode } from './render-catalog.nodes.js';

export type KafkaCrawlModule = 'catalog' | 'render_catalog';

/** One process of a crawl shared through Kafka: the same app runs as driver or worker, by its config's roles. */
@Module({})
export class KafkaCrawlApp {
  static register(options: { config: string; output: string; module: KafkaCrawlModule }): DynamicModule {
    const nodes: Provider[] =
      options.module === 'catalog'
        ? [CatalogModule, CatalogListNode, CatalogProductNode]
        : [RenderCatalogModule, RenderListNode, RenderProductNode];
    return {
      module: KafkaCrawlApp,
      imports: [MocraModule.forRoot({ config: options.config })],
      // Appending, not truncating: a store that finds its items already written skips them (idempotent by
      // requestId#itemIndex), which a crawl whose work is redelivered relies on.
      providers: [...nodes, JsonlStore.provider({ path: options.output, truncate: false })],
    };
  }
}

import { Module, type DynamicModule } from '@nestjs/common';
import { JsonlStore, MocraModule } from '@mocra/core';
import { CatalogListNode } from './catalog/catalog-list.node.js';
import { CatalogProductNode } from './catalog/catalog-product.node.js';
import { CatalogModule } from './catalog/catalog.module.js';

export interface AppOptions {
  /** TOML path or config object. */
  config: string | Record<string, unknown>;
  /** Where items are written as JSON lines. */
  output: string;
  /** Start the output file afresh (default true). */
  truncateOutput?: boolean;
}

/** The example application: one crawler module, a JSON-lines store, mocra from its public API. */
@Module({})
export class AppModule {
  static register(options: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [MocraModule.forRoot({ config: options.config })],
      providers: [
        CatalogModule,
        CatalogListNode,
        CatalogProductNode,
        JsonlStore.provider({ path: options.output, truncate: options.truncateOutput ?? true }),
      ],
    };
  }
}

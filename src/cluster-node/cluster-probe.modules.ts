import { CrawlerModule } from '@mocra/core';
import {
  CatalogProductNode,
  CatalogProductsNode,
  PacedNode,
  SerialStepNode,
  TickNode,
} from './cluster-probe.nodes.js';

/** A catalog crawled in shards (one per dispatching process); items go to the JSONL store. */
@CrawlerModule({
  name: 'catalog',
  nodes: [CatalogProductsNode, CatalogProductNode],
  storeMiddleware: ['jsonl'],
})
export class ShardedCatalogModule {}

/** Requests at the module's rate limit, whose cluster-wide pace the site measures. */
@CrawlerModule({ name: 'paced', nodes: [PacedNode] })
export class PacedModule {}

/** A cron module: one request per run. */
@CrawlerModule({ name: 'ticker', nodes: [TickNode] })
export class TickerModule {}

/** At most one run at a time in the whole cluster. */
@CrawlerModule({ name: 'serial', nodes: [SerialStepNode], serialExecution: true })
export class SerialModule {}

export const CLUSTER_PROBE_PROVIDERS = [
  ShardedCatalogModule,
  CatalogProductsNode,
  CatalogProductNode,
  PacedModule,
  PacedNode,
  TickerModule,
  TickNode,
  SerialModule,
  SerialStepNode,
];

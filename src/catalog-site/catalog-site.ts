export { CATALOG_SITE_OPTIONS_ENV, parseCatalogSiteArgs } from './catalog-site.cli.js';
export {
  expectedProduct,
  listPageOfProduct,
  listPageRange,
  REPEATED_PRODUCTS_PER_PAGE,
  type CatalogLayout,
  type ExpectedProduct,
} from './catalog-site.content.js';
export {
  resolveCatalogSiteOptions,
  type CatalogSiteOptions,
  type ResolvedCatalogSiteOptions,
} from './catalog-site.options.js';
export { CATALOG_SITE_STATS_PATH, startCatalogSite, type CatalogSite } from './catalog-site.server.js';
export type { CatalogSiteStats, CatalogSiteStatsJson } from './catalog-site.stats.js';

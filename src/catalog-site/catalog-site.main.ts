// Standalone catalog site for benchmarks, so the site's CPU is not charged to the crawler being measured.
// Usage: node dist/src/catalog-site/catalog-site.main.js [--products 5000 --list-pages 100 --chain=false ...]
// or CATALOG_SITE_OPTIONS='{"products":5000}'. Prints `CATALOG_SITE_READY <url>` once listening, serves
// GET /__stats as JSON, and exits on SIGTERM or SIGINT.
import { parseCatalogSiteArgs } from './catalog-site.cli.js';
import { startCatalogSite } from './catalog-site.server.js';

async function main(): Promise<void> {
  const options = parseCatalogSiteArgs(process.argv.slice(2), process.env);
  const site = await startCatalogSite({ ...options, exposeStats: true });
  const stop = (): void => {
    void site.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.write(`CATALOG_SITE_READY ${site.url}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`catalog site failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

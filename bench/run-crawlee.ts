import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractListHrefs, extractProduct } from './baseline/catalog-extract.js';
import { measure, report } from './bench-result.js';

// Child process: Crawlee's HttpCrawler over the site at argv[2], set up as favourably as Crawlee allows for a
// throughput run, with the same parsing as the other baselines (catalog-extract.ts: mocra's parser and selectors).
const [baseUrl, concurrency, shape, listPages] = process.argv.slice(2);
const workers = Number(concurrency);

// Crawlee reads its storage directory from the environment when it is first imported, so set it before the import.
const storageDir = mkdtempSync(join(tmpdir(), 'crawlee-bench-'));
process.env['CRAWLEE_STORAGE_DIR'] = storageDir;
process.env['CRAWLEE_PERSIST_STORAGE'] = 'false';
process.env['CRAWLEE_PURGE_ON_START'] = 'true';
const { Configuration, HttpCrawler, log } = await import('@crawlee/http');
log.setLevel(log.LEVELS.ERROR);

const base = baseUrl!.replace(/\/+$/, '');
let pages = 0;
let items = 0;

const crawler = new HttpCrawler(
  {
    // Pinned at the contenders' concurrency: autoscaling would otherwise start at 10 and scale on its own
    // CPU / event-loop snapshots, which on a busy 2-core box keeps it well below 64.
    minConcurrency: workers,
    maxConcurrency: workers,
    autoscaledPoolOptions: {
      desiredConcurrency: workers,
      // Never read as overloaded: the pool stays at 64 however busy the machine is.
      systemStatusOptions: {
        maxCpuOverloadedRatio: 1,
        maxEventLoopOverloadedRatio: 1,
        maxMemoryOverloadedRatio: 1,
        maxClientOverloadedRatio: 1,
      },
      loggingIntervalSecs: null,
    },
    // Same retry budget as the raw loops and mocra's default policy.
    maxRequestRetries: 3,
    useSessionPool: false,
    persistCookiesPerSession: false,
    statusMessageLoggingInterval: 3600,
    requestHandler: async ({ request, body, addRequests, pushData }) => {
      pages++;
      const html = typeof body === 'string' ? body : body.toString('utf8');
      if (request.url.includes('/product/')) {
        const product = extractProduct(html);
        if (product !== undefined) {
          items++;
          // Crawlee's own output path (its dataset, in memory here), as mocra and the raw loops save theirs.
          await pushData({ url: request.url, ...product });
        }
        return;
      }
      const pageUrl = request.loadedUrl ?? request.url;
      const links = extractListHrefs(html).map((href) => new URL(href, pageUrl).href);
      // Crawlee's queue deduplicates by uniqueKey (the normalised URL), like the other contenders' seen-sets.
      await addRequests(links);
    },
    failedRequestHandler: ({ request }) => {
      console.error(`crawlee: gave up on ${request.url}`);
    },
  },
  new Configuration({
    persistStorage: false,
    purgeOnStart: true,
    storageClientOptions: { localDataDirectory: storageDir },
  }),
);

const seeds =
  shape === 'wide'
    ? Array.from({ length: Number(listPages) }, (_, i) => `${base}/catalog/${i + 1}`)
    : [`${base}/catalog/1`];
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await crawler.run(seeds);
const elapsed = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
rmSync(storageDir, { recursive: true, force: true });
report(measure('Crawlee HttpCrawler', pages, items, elapsed, cpu));
process.exit(0);

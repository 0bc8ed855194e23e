import { runRawAxiosLoop } from './baseline/raw-axios-loop.js';
import { measure, report } from './bench-result.js';

// Child process: the raw axios loop over the site at argv[2].
const [baseUrl, concurrency, shape, listPages, client = 'axios'] = process.argv.slice(2);
const cpu0 = process.cpuUsage();
const r = await runRawAxiosLoop({
  baseUrl: baseUrl!,
  concurrency: Number(concurrency),
  shape: shape as 'wide' | 'chain',
  listPages: Number(listPages),
  client: client as 'axios' | 'undici',
});
report(measure(`raw ${client} loop`, r.pages, r.items, r.elapsedMs, process.cpuUsage(cpu0)));
process.exit(0);

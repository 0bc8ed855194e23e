import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRawAxiosLoop } from './baseline/raw-axios-loop.js';
import { measure, report } from './bench-result.js';

// Child process: the raw axios loop over the site at argv[2]. Like mocra's example app, it saves every item as a
// JSON line: a crawler that keeps nothing would be doing less work than the frameworks it is compared with.
const [baseUrl, concurrency, shape, listPages, client = 'axios'] = process.argv.slice(2);
const work = mkdtempSync(join(tmpdir(), 'raw-bench-'));
const output = createWriteStream(join(work, 'items.jsonl'));
const cpu0 = process.cpuUsage();
const r = await runRawAxiosLoop({
  baseUrl: baseUrl!,
  concurrency: Number(concurrency),
  shape: shape as 'wide' | 'chain',
  listPages: Number(listPages),
  client: client as 'axios' | 'undici',
  onItem: (item) => output.write(JSON.stringify(item) + '\n'),
});
await new Promise<void>((resolve, reject) =>
  output.end((err?: Error | null) => (err ? reject(err) : resolve())),
);
const cpu = process.cpuUsage(cpu0);
rmSync(work, { recursive: true, force: true });
report(measure(`raw ${client} loop`, r.pages, r.items, r.elapsedMs, cpu));
process.exit(0);

// Publish + consume throughput of the durable queue next to the in-memory one (a measurement, not a test):
//   node --import ./libs/mocra/test/durable/support/ts-register.mjs \
//     libs/mocra/test/durable/bench/durable-queue.throughput.ts [messages] [outstanding publishes]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DurableLocalQueueManager } from '../../../src/queue/durable/durable-local-queue.manager.js';
import { LocalQueueManager, type QueueManager } from '../../../src/queue/index.js';
import { requestEnvelope } from '../../queue/envelope.fixtures.js';

const total = Number(process.argv[2] ?? 50_000);
const WINDOW = Number(process.argv[3] ?? 256);
const options = { namespace: 'bench', capacity: 10_000, nackMaxRetries: 0, nackBackoffMs: 0 };

/** `slow`: handlers stay in flight across an event-loop turn (like a download), so leases get written. */
async function run(label: string, q: QueueManager, slow: boolean): Promise<void> {
  const env = requestEnvelope();
  let consumed = 0;
  const handler = slow
    ? async (): Promise<void> => {
        await new Promise((r) => setImmediate(r));
        consumed++;
      }
    : async (): Promise<void> => void consumed++;
  q.subscribe('request', handler, { concurrency: 64 });
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  // Producers publish in windows of WINDOW outstanding publishes, as a downloader fan-out would.
  const window: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    window.push(q.publish('request', env));
    if (window.length === WINDOW) await Promise.all(window.splice(0));
  }
  await Promise.all(window);
  const published = performance.now();
  await q.onIdle?.();
  const done = performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  // CPU per message (all threads, LevelDB's included) is the number that does not move with the machine's load.
  const cpuPerMsg = ((cpu.user + cpu.system) / total).toFixed(1);
  console.log(
    `${(label + (slow ? ', slow handler' : '')).padEnd(44)} ${total} msgs: publish ${Math.round((total / (published - started)) * 1000)} msg/s,` +
      ` publish+consume ${Math.round((total / (done - started)) * 1000)} msg/s, ${cpuPerMsg} µs CPU/msg` +
      ` (consumed ${consumed})`,
  );
  await q.close();
}

for (const slow of [false, true]) {
  await run('in-memory LocalQueueManager', new LocalQueueManager(options), slow);
  for (const sync of [false, true]) {
    const dir = await mkdtemp(join(tmpdir(), 'mocra-durable-bench-'));
    const q = await DurableLocalQueueManager.open({ ...options, path: dir, sync, onReport: () => {} });
    await run(`durable (sync=${sync})`, q, slow);
    await rm(dir, { recursive: true, force: true });
  }
}

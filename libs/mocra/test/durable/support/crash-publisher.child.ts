// Child process of the kill -9 tests (run with `node --import ./ts-register.mjs`). It reports progress on stdout
// and is killed with SIGKILL by the parent, never closing the queue.
//   leased <dir> <n> <ack>: publish n messages, ack the first <ack> deliveries, hold the rest in flight
//   stream <dir>: publish forever; each publish and its seen-set member are issued in the same turn
import { DurableLocalQueueManager } from '../../../src/queue/durable/durable-local-queue.manager.js';
import type { Priority } from '../../../src/queue/index.js';
import { requestEnvelope, routing } from '../../queue/envelope.fixtures.js';

const [mode, dir, nArg, ackArg] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: crash-publisher.child.ts <leased|stream> <dir> [n] [ack]');

const PRIORITY_CYCLE: Priority[] = ['normal', 'high', 'low', 'normal', 'high'];
const priorityOf = (i: number): Priority => PRIORITY_CYCLE[i % PRIORITY_CYCLE.length] as Priority;

function envelopeFor(i: number): ReturnType<typeof requestEnvelope> {
  const env = requestEnvelope({ id: `m${i}` });
  env.routing = routing({ priority: priorityOf(i), requestId: `m${i}` });
  return env;
}

export function fingerprint(i: number): Uint8Array {
  const fp = Buffer.alloc(8);
  fp.writeUInt32BE(i, 4);
  return fp;
}

const q = await DurableLocalQueueManager.open({
  path: dir,
  namespace: 'crash',
  capacity: 1_000_000,
  nackMaxRetries: 0,
  nackBackoffMs: 0,
  onReport: () => {},
});

if (mode === 'leased') {
  const n = Number(nArg);
  const ack = Number(ackArg);
  await Promise.all(Array.from({ length: n }, (_, i) => q.publish('request', envelopeFor(i))));
  const acked: string[] = [];
  q.subscribe(
    'request',
    async (m) => {
      if (acked.length < ack) {
        acked.push(m.envelope.routing.requestId ?? '?');
        if (acked.length === ack) {
          // Acks commit with the next batch; report only once they have.
          setImmediate(() => {
            void q.flush().then(() => process.stdout.write(`READY ${JSON.stringify(acked)}\n`));
          });
        }
        return;
      }
      await new Promise(() => {});
    },
    { concurrency: 3 },
  );
} else if (mode === 'stream') {
  let next = 0;
  let committed = -1;
  let reported = -1;
  const done = new Set<number>();
  const publishOne = (): void => {
    const i = next++;
    void q.state.appendToSet('seen', fingerprint(i));
    void q.publish('request', envelopeFor(i), undefined, { wait: false }).then(() => {
      done.add(i);
      while (done.delete(committed + 1)) committed++;
      if (committed - reported >= 50) {
        reported = committed;
        process.stdout.write(`C ${committed}\n`);
      }
      publishOne();
    });
  };
  for (let k = 0; k < 64; k++) publishOne();
} else {
  throw new Error(`unknown mode ${mode}`);
}

import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The site runs in its own process so the arrival stamps are not delayed by the crawler's event loop.
const SERVER_SOURCE = `
const http = require('node:http');
const stamps = [];
const server = http.createServer((req, res) => {
  // hrtime: monotonic, ns resolution, no float drift from an epoch offset.
  stamps.push(Number(process.hrtime.bigint()) / 1e6);
  req.resume();
  req.on('end', () => res.end('ok'));
});
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (m) => {
  if (m === 'stamps') process.send({ stamps });
});
`;

export interface StampingSite {
  base: string;
  /** Arrival times (monotonic ms from process.hrtime, sub-ms precision) as the site's own process saw them. */
  stamps(): Promise<number[]>;
  close(): Promise<void>;
}

export async function startStampingSite(): Promise<StampingSite> {
  const dir = mkdtempSync(join(tmpdir(), 'mocra-site-'));
  const file = join(dir, 'site.cjs');
  writeFileSync(file, SERVER_SOURCE);
  const child: ChildProcess = fork(file, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (m) => resolve((m as { port: number }).port));
  });
  return {
    base: `http://127.0.0.1:${port}`,
    stamps: () =>
      new Promise<number[]>((resolve) => {
        child.once('message', (m) => resolve((m as { stamps: number[] }).stamps));
        child.send('stamps');
      }),
    close: async () => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill();
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

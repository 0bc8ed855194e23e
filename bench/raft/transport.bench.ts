import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Message } from '../../libs/raft/src/core/types.js';
import { TcpTransport } from '../../libs/raft/src/transport/tcp-transport.js';
import { decodeFrame, encodeMessageBatch } from '../../libs/raft/src/transport/wire-frame.codec.js';

/**
 * TcpTransport throughput over loopback: 'app' messages with 10 entries of 256 B each, from this process to a
 * receiver in a child process (so encoding and decoding each get their own core). Also times the frame codec alone.
 *
 *   npm run build && node dist/bench/raft/transport.bench.js
 *   (or from sources: node --conditions=source --import ./libs/mocra/test/durable/support/ts-register.mjs
 *    bench/raft/transport.bench.ts)
 *   BENCH_TRANSPORT_MESSAGES (default 200000), BENCH_TRANSPORT_BURST (messages per send() call, default 64)
 */
const total = Number(process.env['BENCH_TRANSPORT_MESSAGES'] ?? 200_000);
const burst = Number(process.env['BENCH_TRANSPORT_BURST'] ?? 64);
const ENTRIES = 10;
const ENTRY_BYTES = 256;

function appMessage(i: number): Message {
  const entries = [];
  for (let e = 0; e < ENTRIES; e++) {
    entries.push({
      term: 3,
      index: i * ENTRIES + e + 1,
      type: 'normal' as const,
      data: new Uint8Array(ENTRY_BYTES).fill(e),
    });
  }
  return {
    type: 'app',
    from: 's',
    to: 'r',
    term: 3,
    logTerm: 3,
    index: i * ENTRIES,
    entries,
    commit: i,
    reject: false,
    rejectHint: 0,
  };
}

async function receiver(): Promise<void> {
  const expected = Number(process.argv[3]);
  let count = 0;
  let first = 0;
  let lastIndex = -1;
  let outOfOrder = 0;
  const t = new TcpTransport({ nodeId: 'r', clusterId: 'bench', listen: { host: '127.0.0.1', port: 0 } });
  const address = await t.start({
    onMessage(m) {
      if (count === 0) first = performance.now();
      if (m.index <= lastIndex) outOfOrder++;
      lastIndex = m.index;
      if (++count === expected) {
        const cpu = process.cpuUsage();
        console.log(`DONE ${performance.now() - first} ${outOfOrder} ${(cpu.user + cpu.system) / 1000}`);
      }
    },
    onUnreachable() {},
    onSnapshotStatus() {},
  });
  console.log(`LISTENING ${address}`);
  process.stdin.on('end', () => void t.close());
  process.stdin.resume();
}

function codecOnly(): { encodeMsgsPerSec: number; decodeMsgsPerSec: number; frameBytes: number } {
  const batch = Array.from({ length: burst }, (_, i) => appMessage(i));
  const rounds = Math.max(50, Math.floor(50_000 / burst));
  let frame = encodeMessageBatch(batch);
  let t0 = performance.now();
  for (let r = 0; r < rounds; r++) frame = encodeMessageBatch(batch);
  const encodeMs = performance.now() - t0;
  t0 = performance.now();
  for (let r = 0; r < rounds; r++) decodeFrame(frame.subarray(4));
  const decodeMs = performance.now() - t0;
  const n = rounds * burst;
  return {
    encodeMsgsPerSec: n / (encodeMs / 1000),
    decodeMsgsPerSec: n / (decodeMs / 1000),
    frameBytes: frame.length,
  };
}

async function sender(): Promise<void> {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [...process.execArgv, script, 'receiver', String(total)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  const lines: string[] = [];
  let onLine: (() => void) | undefined;
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    let nl;
    while ((nl = out.indexOf('\n')) >= 0) {
      lines.push(out.slice(0, nl));
      out = out.slice(nl + 1);
      onLine?.();
    }
  });
  const waitLine = (prefix: string): Promise<string> =>
    new Promise((resolve, reject) => {
      child.once('exit', () => reject(new Error(`receiver exited before ${prefix}`)));
      const check = (): void => {
        const line = lines.find((l) => l.startsWith(prefix));
        if (line) resolve(line);
      };
      onLine = check;
      check();
    });
  const address = (await waitLine('LISTENING ')).split(' ')[1]!;

  const codec = codecOnly();
  const messages = Array.from({ length: Math.min(total, 4096) }, (_, i) => appMessage(i));
  const t = new TcpTransport({
    nodeId: 's',
    clusterId: 'bench',
    listen: { host: '127.0.0.1', port: 0 },
    maxQueuedMessages: 1 << 20,
    maxQueuedBytes: 1 << 30,
  });
  await t.start({ onMessage() {}, onUnreachable() {}, onSnapshotStatus() {} });
  t.setPeer('r', address);
  const done = waitLine('DONE ');
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let sent = 0;
  // Keeps a bounded backlog in the transport's queue, as a Raft leader's inflight window does.
  while (sent < total) {
    if (t.stats().peers['r'] === undefined || t.stats().peers['r']!.queued < 4 * burst) {
      const batch: Message[] = [];
      for (let k = 0; k < burst && sent < total; k++, sent++) {
        const m = messages[sent % messages.length]!;
        batch.push({ ...m, index: sent });
      }
      t.send(batch);
    }
    await new Promise((r) => setImmediate(r));
  }
  const [, receiveMs, outOfOrder, receiverCpuMs] = (await done).split(' ').map(Number) as number[];
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const stats = t.stats().peers['r']!;
  await t.close();
  child.stdin.end();

  const rate = total / (elapsedMs / 1000);
  const payloadMb = (total * ENTRIES * ENTRY_BYTES) / (elapsedMs / 1000) / 1e6;
  console.log(
    `TcpTransport loopback, ${total} 'app' messages x ${ENTRIES} entries x ${ENTRY_BYTES} B, send() bursts of ` +
      `${burst} (${cpus().length} cores, Node ${process.version})`,
  );
  console.log(`  end to end     ${rate.toFixed(0)} messages/s, ${payloadMb.toFixed(0)} MB/s of entry data`);
  console.log(
    `  receiver       ${(total / (receiveMs! / 1000)).toFixed(0)} messages/s from first arrival, out of order: ${outOfOrder}`,
  );
  console.log(
    `  batching       ${stats.frames} frames, ${(stats.sent / stats.frames).toFixed(1)} messages/frame, dropped ${stats.dropped}`,
  );
  console.log(
    `  CPU            sender ${(((cpu.user + cpu.system) / 1000 / total) * 1000).toFixed(2)} µs/msg, receiver ` +
      `${((receiverCpuMs! / total) * 1000).toFixed(2)} µs/msg (incl. startup)`,
  );
  console.log(
    `  codec only     encode ${codec.encodeMsgsPerSec.toFixed(0)} msgs/s, decode+validate ${codec.decodeMsgsPerSec.toFixed(0)} msgs/s ` +
      `(${burst}-message frames of ${codec.frameBytes} B)`,
  );
}

if (process.argv[2] === 'receiver') await receiver();
else await sender();

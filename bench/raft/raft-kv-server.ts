import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  decodeKvOutput,
  encodeKvInput,
  KvStateMachine,
  LevelStorage,
  RaftNode,
  TcpTransport,
  type RaftLogger,
} from '@mocra/raft';

/**
 * One member of a Raft key-value cluster in its own process: classic-level storage, TCP between members, and a small
 * HTTP API for clients. The multi-process tests and `npm run bench:raft` start three or four of these.
 *
 *   PUT /kv/:key      body = value        → 204 once committed and applied here
 *   GET /kv/:key                          → 200 value, a linearizable (ReadIndex) read
 *   GET /status                           → 200 JSON: role, leader, term, commit, applied, members, metrics
 *
 * Options come as JSON in RAFT_KV_OPTIONS; the process prints `RAFT_KV_READY {"raft":..,"http":..}` when serving.
 */
interface ServerOptions {
  id: string;
  clusterId: string;
  dataDir: string;
  raftPort: number;
  httpPort: number;
  initialMembers?: Record<string, string>;
  join?: string[];
  heartbeatIntervalMs?: number;
  electionTimeoutMs?: number;
  snapshotInterval?: number;
  snapshotKeepEntries?: number;
  fsync?: boolean;
}

const MAX_BODY_BYTES = 1024 * 1024;
const options = JSON.parse(process.env['RAFT_KV_OPTIONS'] ?? '{}') as ServerOptions;
const logger: RaftLogger = {
  debug() {},
  info() {},
  warn: (msg) => process.stderr.write(`[${options.id}] warn ${msg}\n`),
  error: (msg) => process.stderr.write(`[${options.id}] error ${msg}\n`),
};

const kv = new KvStateMachine();
const storage = await LevelStorage.open(options.dataDir, {
  nodeId: options.id,
  clusterId: options.clusterId,
  fsync: options.fsync ?? true,
});
const transport = new TcpTransport({
  nodeId: options.id,
  clusterId: options.clusterId,
  listen: { host: '127.0.0.1', port: options.raftPort },
  flushOnSend: true,
  logger,
});
const node = new RaftNode({
  id: options.id,
  storage,
  transport,
  stateMachine: kv,
  ...(options.initialMembers ? { initialMembers: options.initialMembers } : {}),
  ...(options.join ? { join: options.join } : {}),
  heartbeatIntervalMs: options.heartbeatIntervalMs ?? 100,
  electionTimeoutMs: options.electionTimeoutMs ?? 1000,
  snapshotInterval: options.snapshotInterval ?? 10_000,
  snapshotKeepEntries: options.snapshotKeepEntries ?? 5_000,
  logger,
});
node.on('fatal', (error: Error) => {
  process.stderr.write(`[${options.id}] fatal ${error.message}\n`);
  process.exit(70);
});

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    // latin1 maps each byte to one character, so binary values survive as they are
    req.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body: string, type = 'text/plain'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  if (url.startsWith('/kv/')) {
    const key = decodeURIComponent(url.slice(4));
    if (req.method === 'PUT') {
      const value = await readBody(req);
      const result = await node.propose(encodeKvInput({ op: 'put', key, value }));
      decodeKvOutput(result);
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'GET') {
      reply(res, 200, await node.read(() => kv.get(key)));
      return;
    }
  }
  if (url === '/status' && req.method === 'GET') {
    reply(res, 200, JSON.stringify({ ...node.status(), metrics: node.metrics() }), 'application/json');
    return;
  }
  reply(res, 404, `no route ${req.method ?? ''} ${url}`);
}

const server = createServer((req, res) => {
  handle(req, res).catch((error: unknown) => {
    if (res.headersSent) return;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    reply(res, 503, JSON.stringify({ error: message, leader: node.leaderId() }), 'application/json');
  });
});
server.keepAliveTimeout = 60_000;
await node.start();
await new Promise<void>((resolve) => server.listen(options.httpPort, '127.0.0.1', resolve));
const http = `127.0.0.1:${(server.address() as AddressInfo).port}`;
process.stdout.write(`RAFT_KV_READY ${JSON.stringify({ raft: node.advertisedAddress, http })}\n`);

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  server.close();
  server.closeAllConnections();
  await node.stop();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());

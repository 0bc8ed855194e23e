import 'reflect-metadata';
import { createServer, type AddressInfo } from 'node:net';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { MocraControlModule, MocraModule, startMocraHttp } from '@mocra/core';
import { RaftService } from '../../src/raft/raft.service.js';
// the control plane's test crawl (list → items into a memory store) serves here too
import { ItemNode, ListNode, MemoryStore, ShopModule, type TestSite } from '../control/control-fixtures.js';

export const API_KEY = 'raft-smoke-key';

/** A port nobody listens on right now (the OS picks it), for a Raft member's address. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RaftAppOptions {
  site: TestSite;
  /** Cluster id: `name` of the config. */
  name: string;
  addr: string;
  dataDir: string;
  peers?: string[];
}

export interface RaftApp {
  app: INestApplication;
  url: string;
  raft: RaftService;
  store: MemoryStore;
  close(): Promise<void>;
}

/** A mocra app with `[raft]`, cache.backend = "raft" and the control plane on a free port. */
export async function bootRaftApp(options: RaftAppOptions): Promise<RaftApp> {
  const config = {
    name: options.name,
    cache: { backend: 'raft' },
    crawler: { request_max_retries: 1, node_id: `node-${options.addr}` },
    api: { port: 8806, api_key: API_KEY },
    raft: {
      addr: options.addr,
      peers: options.peers ?? [],
      data_dir: options.dataDir,
      heartbeat_interval_ms: 100,
      election_timeout_ms: 500,
    },
    modules: { shop: { rate_limit: 200, settings: { base: options.site.url } } },
  };

  @Module({
    imports: [MocraModule.forRoot({ config }), MocraControlModule],
    providers: [ShopModule, ListNode, ItemNode, MemoryStore],
  })
  class RaftTestAppModule {}

  const app = await NestFactory.create(RaftTestAppModule, new FastifyAdapter(), {
    logger: process.env['MOCRA_TEST_LOG'] ? ['error', 'warn', 'log', 'debug'] : false,
    abortOnError: false,
  });
  try {
    const address = await startMocraHttp(app, { port: 0, host: '127.0.0.1' });
    if (!address) throw new Error('startMocraHttp did not listen although [api] is configured');
    return {
      app,
      url: address.url,
      raft: app.get(RaftService, { strict: false }),
      store: app.get(MemoryStore, { strict: false }),
      close: () => app.close(),
    };
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
}

/** An API call with the key; JSON body in and out. */
export async function api(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      'x-api-key': API_KEY,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  CrawlerModule,
  MocraModule,
  Next,
  Node,
  ParseOutput,
  QUEUE_MANAGER,
  MOCRA_CONFIG,
  Request,
  StoreMiddleware,
  type CrawlerNode,
  type DataItem,
  type GenerateContext,
  type MocraConfig,
  type ParseContext,
  type Response,
  type StoreMiddlewareHandler,
} from '@mocra/core';
import {
  MOCRA_RAFT_STATUS,
  MocraControlModule,
  startMocraHttp,
  type RaftStatusSource,
} from '../../src/control/index.js';
import { MOCRA_METRICS_PROVIDERS } from '../../src/metrics/index.js';
import { RaftService } from '../../src/raft/raft.service.js';
import { LocalQueueManager, MemoryDeadLetterStore } from '../../src/queue/index.js';

/** A local site: `/list` links `/item/1..n`, `/item/:id` answers JSON, `/broken` always answers 500. */
export interface TestSite {
  url: string;
  items: number;
  hits: Map<string, number>;
  total(): number;
  close(): Promise<void>;
}

export async function startSite(items: number): Promise<TestSite> {
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path === '/list') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(Array.from({ length: items }, (_, i) => `/item/${i + 1}`)));
      return;
    }
    const item = /^\/item\/(\d+)$/.exec(path);
    if (item) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id: Number(item[1]), name: `item ${item[1]}` }));
      return;
    }
    res.statusCode = path === '/broken' ? 500 : 404;
    res.end('no');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    items,
    hits,
    total: () => [...hits.values()].reduce((a, b) => a + b, 0),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

@Node('list', { entry: true })
@Next('item')
export class ListNode implements CrawlerNode {
  generate(ctx: GenerateContext): Request {
    return Request.get(`${String(ctx.config['base'])}/list`);
  }
  parse(res: Response): ParseOutput {
    const out = new ParseOutput();
    for (const path of res.json<string[]>()) out.withNext('item', { url: res.urljoin(path) });
    return out;
  }
}

@Node('item')
export class ItemNode implements CrawlerNode<{ url: string }> {
  generate(ctx: GenerateContext<{ url: string }>): Request {
    return Request.get(ctx.input!.url);
  }
  parse(res: Response, _ctx: ParseContext): ParseOutput {
    return new ParseOutput().withData(res.json());
  }
}

@Node('broken')
class BrokenNode implements CrawlerNode {
  generate(ctx: GenerateContext): Request {
    return Request.get(`${String(ctx.config['base'])}/broken`);
  }
  parse(): ParseOutput {
    return new ParseOutput();
  }
}

/** Keeps what the crawl stored, to compare with the API's and the metrics' counts. */
@StoreMiddleware({ name: 'memory' })
export class MemoryStore implements StoreMiddlewareHandler {
  readonly items: DataItem[] = [];
  store(item: DataItem): void {
    this.items.push(item);
  }
}

@CrawlerModule({ name: 'shop', nodes: [ListNode, ItemNode], storeMiddleware: ['memory'] })
export class ShopModule {}

@CrawlerModule({ name: 'broken', nodes: [BrokenNode] })
class BrokenModule {}

/** The local queue with a switchable health check, so `/health` can be made to fail and recover. */
export class SwitchableQueueManager extends LocalQueueManager {
  failure: string | undefined;
  async healthCheck(): Promise<void> {
    if (this.failure) throw new Error(this.failure);
  }
}

export interface ControlApp {
  app: INestApplication;
  url: string;
  queue: SwitchableQueueManager;
  store: MemoryStore;
  close(): Promise<void>;
}

export interface BootOptions {
  site: TestSite;
  apiKey?: string;
  bodyLimit?: number;
  /** Configures `[raft]` and provides this status source, as the Raft runtime will. */
  raft?: RaftStatusSource;
}

export async function bootControlApp(options: BootOptions): Promise<ControlApp> {
  const config = {
    name: 'ctl',
    crawler: { request_max_retries: 1, node_id: 'node-test-1' },
    api: {
      port: 8805,
      ...(options.apiKey ? { api_key: options.apiKey } : {}),
      ...(options.bodyLimit ? { body_limit: options.bodyLimit } : {}),
    },
    ...(options.raft ? { raft: { addr: '127.0.0.1:7001' } } : {}),
    modules: {
      shop: { settings: { base: options.site.url } },
      broken: { enabled: false, settings: { base: options.site.url } },
    },
  };

  @Module({
    imports: [
      MocraModule.forRootAsync({
        useFactory: () => ({ config }),
        extraProviders: [
          ...MOCRA_METRICS_PROVIDERS,
          // a stand-in Raft runtime: no member is started, the control plane reads this status instead
          ...(options.raft
            ? [
                { provide: RaftService, useValue: null },
                { provide: MOCRA_RAFT_STATUS, useValue: options.raft },
              ]
            : []),
          {
            provide: QUEUE_MANAGER,
            useFactory: (c: MocraConfig) =>
              new SwitchableQueueManager({
                namespace: c.name,
                capacity: c.channel_config.capacity,
                nackMaxRetries: c.channel_config.nack_max_retries,
                nackBackoffMs: c.channel_config.nack_backoff_ms,
                dlq: new MemoryDeadLetterStore(),
              }),
            inject: [MOCRA_CONFIG],
          },
        ],
      }),
      MocraControlModule,
    ],
    providers: [ShopModule, ListNode, ItemNode, BrokenModule, BrokenNode, MemoryStore],
  })
  class TestAppModule {}

  const app = await NestFactory.create(TestAppModule, new FastifyAdapter(), { logger: false });
  const address = await startMocraHttp(app, { port: 0, host: '127.0.0.1' });
  if (!address) throw new Error('startMocraHttp did not listen although [api] is configured');
  return {
    app,
    url: address.url,
    queue: app.get<SwitchableQueueManager>(QUEUE_MANAGER, { strict: false }),
    store: app.get(MemoryStore, { strict: false }),
    close: () => app.close(),
  };
}

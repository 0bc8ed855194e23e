import 'reflect-metadata';
import { Injectable, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  CrawlerModule,
  DataMiddleware,
  DownloadMiddleware,
  MocraModule,
  MocraService,
  Next,
  Node,
  ParseOutput,
  QUEUE_MANAGER,
  Request,
  StoreMiddleware,
  type CrawlerModuleHooks,
  type CrawlerNode,
  type DataItem,
  type Downloader,
  type GenerateContext,
  type ModuleRunSummary,
  type QueueManager,
  type RequestData,
  type Response,
  type ResponseData,
  type RunSummary,
} from '@mocra/core';
import { describe, expect, it } from 'vitest';

/** A user-supplied downloader (replaced through DI): serves pages from a map, counts calls. */
@Injectable()
class MapDownloader implements Downloader {
  readonly name = 'map';
  static pages = new Map<string, string>();
  static calls: string[] = [];
  async download(req: RequestData): Promise<ResponseData> {
    MapDownloader.calls.push(req.url);
    const body = MapDownloader.pages.get(req.url);
    return {
      id: req.id,
      status: body === undefined ? 404 : 200,
      url: req.url,
      headers: { 'content-type': 'text/html' },
      body: Buffer.from(body ?? 'not found'),
      request: req,
      elapsedMs: 0,
    };
  }
  async close(): Promise<void> {}
}

const stored: DataItem[] = [];
const order: string[] = [];

@StoreMiddleware({ name: 'memory' })
class MemoryStore {
  store(item: DataItem): void {
    stored.push(item);
  }
}

@DataMiddleware({ name: 'upper', weight: 5 })
class Upper {
  handleData(item: DataItem): DataItem {
    order.push('upper');
    return { ...item, data: String(item.data).toUpperCase() };
  }
}

@DataMiddleware({ name: 'tag', weight: 1, global: true })
class Tag {
  handleData(item: DataItem): DataItem | null {
    order.push('tag');
    return String(item.data).includes('skip') ? null : { ...item, data: `${String(item.data)}!` };
  }
}

@DownloadMiddleware({ name: 'block-private', weight: 0 })
class BlockPrivate {
  beforeRequest(req: Request): Request | null {
    return req.url.includes('/private') ? null : req.withHeaders({ 'x-mw': '1' });
  }
}

@Injectable()
class Greeting {
  text(): string {
    return 'hello';
  }
}

async function start(providers: Type<unknown>[], config: Record<string, unknown> = {}) {
  stored.length = 0;
  order.length = 0;
  MapDownloader.calls = [];
  const ref = await Test.createTestingModule({
    imports: [MocraModule.forRoot({ config: { name: 'engine-test', ...config }, downloader: MapDownloader })],
    providers: [MemoryStore, Upper, Tag, BlockPrivate, Greeting, ...providers],
  }).compile();
  const app = await ref.init();
  return { app, mocra: app.get(MocraService), queue: app.get<QueueManager>(QUEUE_MANAGER) };
}

describe('crawl engine behaviour', () => {
  it('injects providers into nodes, runs hooks once per run, orders middleware by weight, drops by middleware', async () => {
    MapDownloader.pages = new Map([
      ['http://site/a', 'a'],
      ['http://site/b', 'b'],
      ['http://site/skip', 'skip'],
    ]);
    const hooks: string[] = [];
    @Node('one')
    class One implements CrawlerNode {
      constructor(private readonly greeting: Greeting) {}
      generate(): Request[] {
        return ['a', 'b', 'skip', 'private', 'a'].map((p) => Request.get(`http://site/${p}`));
      }
      parse(res: Response): ParseOutput {
        return new ParseOutput().withData(`${this.greeting.text()} ${res.text()}`);
      }
    }
    @CrawlerModule({
      name: 'm',
      nodes: [One],
      dataMiddleware: ['upper'],
      storeMiddleware: ['memory'],
      downloadMiddleware: ['block-private'],
    })
    class M implements CrawlerModuleHooks {
      preProcess(): void {
        hooks.push('pre');
      }
      postProcess(_ctx: unknown, summary: ModuleRunSummary): void {
        hooks.push(`post:${summary.items}`);
      }
    }
    const { app, mocra } = await start([M, One]);
    const summary: RunSummary = await (await mocra.dispatch({ module: ['m'] })).finished;
    expect(MapDownloader.calls.sort()).toEqual(['http://site/a', 'http://site/b', 'http://site/skip']);
    expect(summary.duplicates).toBe(1);
    expect(stored.map((s) => s.data).sort()).toEqual(['HELLO A!', 'HELLO B!']);
    expect(summary.items).toBe(2);
    // tag (weight 1, global) before upper (weight 5) for every item; the skipped item stops after tag.
    expect(order).toEqual(expect.arrayContaining(['tag', 'upper']));
    expect(order.filter((o) => o === 'tag')).toHaveLength(3);
    expect(order.filter((o) => o === 'upper')).toHaveLength(2);
    expect(order.indexOf('tag')).toBe(0);
    expect(hooks).toEqual(['pre', 'post:2']);
    expect(stored[0]!.requestId).toBeTruthy();
    await app.close();
  });

  it('sends a withNext to an undeclared edge to the DLQ with a message naming module and node', async () => {
    MapDownloader.pages = new Map([['http://site/start', 'x']]);
    @Node('start')
    @Next('start')
    class Start implements CrawlerNode {
      generate(ctx: GenerateContext): Request | null {
        return ctx.input ? null : Request.get('http://site/start');
      }
      parse(): ParseOutput {
        return new ParseOutput().withNext('nowhere', {});
      }
    }
    @CrawlerModule({ name: 'edges', nodes: [Start] })
    class Edges {}
    const { app, mocra, queue } = await start([Edges, Start]);
    const summary = await (await mocra.dispatch({ module: ['edges'] })).finished;
    expect(summary.deadLettered).toBe(1);
    const { items } = await queue.dlq.list({});
    expect(items[0]!.errorKind).toBe('Parser');
    expect(items[0]!.reason).toContain('module "edges" node "start"');
    expect(items[0]!.reason).toContain('withNext("nowhere")');
    expect(items[0]!.attempt).toBe(1);
    await app.close();
  });

  it('finish() ends the module run: later dispatches are skipped, not executed', async () => {
    MapDownloader.pages = new Map(
      Array.from({ length: 10 }, (_, i) => [`http://site/p${i}`, String(i)] as [string, string]),
    );
    @Node('page')
    @Next('page')
    class Page implements CrawlerNode<{ i: number }> {
      generate(ctx: GenerateContext<{ i: number }>): Request {
        return Request.get(`http://site/p${ctx.input?.i ?? 0}`);
      }
      parse(res: Response): ParseOutput {
        const i = Number(res.text());
        const out = new ParseOutput().withData(i);
        return i === 3 ? out.withNext('page', { i: i + 1 }).finish() : out.withNext('page', { i: i + 1 });
      }
    }
    @CrawlerModule({ name: 'pager', nodes: [Page], storeMiddleware: ['memory'] })
    class Pager {}
    const { app, mocra } = await start([Pager, Page]);
    const summary = await (await mocra.dispatch({ module: ['pager'] })).finished;
    expect(MapDownloader.calls).toEqual([
      'http://site/p0',
      'http://site/p1',
      'http://site/p2',
      'http://site/p3',
    ]);
    expect(summary.items).toBe(4);
    expect(summary.skippedAfterFinish).toBe(1);
    await app.close();
  });

  it('rejects a task event naming an unknown module', async () => {
    @Node('n')
    class N implements CrawlerNode {
      generate(): null {
        return null;
      }
      parse(): ParseOutput {
        return new ParseOutput();
      }
    }
    @CrawlerModule({ name: 'known', nodes: [N] })
    class Known {}
    const { app, mocra } = await start([Known, N]);
    await expect(mocra.dispatch({ module: ['unknown'] })).rejects.toThrow(
      'unknown module "unknown" (modules: known)',
    );
    await app.close();
  });

  it('4xx responses are not retried and land in the DLQ; pause holds work until resume', async () => {
    MapDownloader.pages = new Map([['http://site/ok', 'ok']]);
    @Node('n')
    class N implements CrawlerNode {
      generate(): Request[] {
        return [Request.get('http://site/ok'), Request.get('http://site/missing')];
      }
      parse(res: Response): ParseOutput {
        return new ParseOutput().withData(res.text());
      }
    }
    @CrawlerModule({ name: 'fourxx', nodes: [N], storeMiddleware: ['memory'] })
    class FourXX {}
    const { app, mocra, queue } = await start([FourXX, N]);
    mocra.pause();
    const run = await mocra.dispatch({ module: ['fourxx'] });
    await new Promise((r) => setTimeout(r, 100));
    expect(MapDownloader.calls).toEqual([]);
    expect(queue.depth()).toBeGreaterThan(0);
    mocra.resume();
    const summary = await run.finished;
    expect(MapDownloader.calls.filter((u) => u.endsWith('/missing'))).toHaveLength(1);
    expect(summary.deadLettered).toBe(1);
    const { items } = await queue.dlq.list({});
    expect(items[0]!.errorKind).toBe('Response');
    expect(items[0]!.reason).toContain('HTTP 404');
    await app.close();
  });
});

describe('DLQ requeue after the run ended', () => {
  it('runs the requeued work as an adopted run that completes', async () => {
    let fail = true;
    MapDownloader.pages = new Map([['http://site/flaky', 'flaky']]);
    @Node('n')
    class N implements CrawlerNode {
      generate(): Request {
        return Request.get('http://site/flaky');
      }
      parse(res: Response): ParseOutput {
        if (fail) throw new Error('parser bug');
        return new ParseOutput().withData(res.text());
      }
    }
    @CrawlerModule({ name: 'requeue', nodes: [N], storeMiddleware: ['memory'] })
    class Requeue {}
    const { app, mocra, queue } = await start([Requeue, N]);
    const first = await (await mocra.dispatch({ module: ['requeue'] })).finished;
    expect(first.deadLettered).toBe(1);
    const { items } = await queue.dlq.list({});
    fail = false;
    expect(await queue.requeueDeadLetter(items[0]!.id)).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    const adopted = mocra.runHandle(first.runId);
    const summary = adopted ? await adopted.finished : mocra.recentRuns().at(-1)!;
    expect(summary.runId).toBe(first.runId);
    expect(summary.items).toBe(1);
    expect(stored.map((s) => s.data)).toEqual(['flaky!']); // the global 'tag' middleware appends '!'
    expect((await queue.dlq.list({})).total).toBe(0);
    await app.close();
  });
});

describe('nack of a throwing parser', () => {
  it('retries nack_max_retries times nack_backoff_ms apart, then dead-letters; a requeue after the fix stores the item', async () => {
    let broken = true;
    const attempts: number[] = [];
    MapDownloader.pages = new Map([
      ['http://site/good', 'good'],
      ['http://site/bad', 'bad'],
    ]);
    @Node('n')
    class N implements CrawlerNode {
      generate(): Request[] {
        return [Request.get('http://site/good'), Request.get('http://site/bad')];
      }
      parse(res: Response): ParseOutput {
        if (res.text() === 'bad' && broken) {
          attempts.push(performance.now());
          throw new Error('cannot parse this product');
        }
        return new ParseOutput().withData(res.text());
      }
    }
    @CrawlerModule({ name: 'nack', nodes: [N], storeMiddleware: ['memory'] })
    class Nack {}
    const { app, mocra, queue } = await start([Nack, N], {
      channel_config: { nack_max_retries: 2, nack_backoff_ms: 150 },
    });
    const summary = await (await mocra.dispatch({ module: ['nack'] })).finished;
    expect(attempts).toHaveLength(3);
    expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(145);
    expect(attempts[2]! - attempts[1]!).toBeGreaterThanOrEqual(145);
    expect(summary.retries).toBe(2);
    expect(summary.deadLettered).toBe(1);
    expect(MapDownloader.calls.filter((u) => u.endsWith('/bad'))).toHaveLength(1); // re-parsed, not re-fetched
    const { items } = await queue.dlq.list({});
    expect(items[0]!.attempt).toBe(3);
    expect(items[0]!.reason).toContain('cannot parse this product');
    broken = false;
    expect(await queue.requeueDeadLetter(items[0]!.id)).toBe(true);
    for (let i = 0; i < 50 && !stored.some((s) => s.data === 'bad!'); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(stored.map((s) => s.data).sort()).toEqual(['bad!', 'good!']);
    await app.close();
  });
});

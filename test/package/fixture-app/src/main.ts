import 'reflect-metadata';
import { createServer } from 'node:http';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  CrawlerModule,
  MocraModule,
  MocraService,
  Next,
  Node,
  ParseOutput,
  Request,
  StoreMiddleware,
  type CrawlerNode,
  type DataItem,
  type GenerateContext,
  type Response,
  type StoreMiddlewareHandler,
} from '@mocra/core';

// An app outside the mocra repository, using only the installed @mocra/core tarball.
const server = createServer((req, res) => {
  const m = /^\/page\/(\d+)$/.exec(req.url ?? '');
  if (!m) return res.writeHead(404).end();
  const n = Number(m[1]);
  const links =
    n < 5 ? `<a class="page" href="/page/${n + 1}">next</a><a class="page" href="/page/1">home</a>` : '';
  res.writeHead(200, { 'content-type': 'text/html' }).end(`<h1>Page ${n}</h1>${links}`);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as { port: number }).port;

@Node('page')
@Next('page')
class PageNode implements CrawlerNode<{ url: string }> {
  generate(ctx: GenerateContext<{ url: string }>): Request {
    return Request.get(ctx.input?.url ?? `http://127.0.0.1:${port}/page/1`);
  }
  parse(res: Response): ParseOutput {
    const out = new ParseOutput().withData({ title: res.$('h1').text() });
    for (const url of res.links('a.page')) out.withNext('page', { url });
    return out;
  }
}

const titles: string[] = [];

@StoreMiddleware({ name: 'memory' })
class MemoryStore implements StoreMiddlewareHandler {
  store(item: DataItem): void {
    titles.push((item.data as { title: string }).title);
  }
}

@CrawlerModule({ name: 'pages', nodes: [PageNode], storeMiddleware: ['memory'] })
class PagesModule {}

@Module({
  imports: [MocraModule.forRoot({ config: { name: 'outside' } })],
  providers: [PagesModule, PageNode, MemoryStore],
})
class AppModule {}

const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error'] });
const run = await app.get(MocraService).dispatch({ module: ['pages'] });
const summary = await run.finished;
await app.close();
server.close();
console.log(
  'OUTSIDE_RESULT ' + JSON.stringify({ pages: summary.pages, items: summary.items, titles: titles.sort() }),
);

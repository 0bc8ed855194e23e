import 'reflect-metadata';
import { AssertionError } from 'node:assert';
import { describe, expect, it } from 'vitest';
import { Next, Node } from '../../src/decorators/node.decorator.js';
import type { GenerateContext, ParseContext } from '../../src/engine/crawl-context.js';
import type { CrawlerNode } from '../../src/engine/crawler-node.interface.js';
import { ParseOutput } from '../../src/parser/parse-output.js';
import { Request } from '../../src/request/request.js';
import type { Response } from '../../src/request/response.js';
import {
  createGenerateContext,
  createParseContext,
  expectData,
  expectNext,
  responseFromHtml,
  responseFromJson,
  runGenerate,
  runParse,
} from '../../src/testing/index.js';

type Mode = 'one' | 'array' | 'iterable' | 'async' | 'none' | 'bad';

@Node('pages')
@Next('pages')
class PagesNode implements CrawlerNode<{ mode: Mode }> {
  seen: GenerateContext<{ mode: Mode }> | undefined;
  parsed: ParseContext | undefined;

  generate(ctx: GenerateContext<{ mode: Mode }>) {
    this.seen = ctx;
    const base = String(ctx.config['base']);
    const url = (n: number) => `${base}/p/${n}`;
    switch (ctx.input?.mode ?? 'one') {
      case 'one':
        return Request.get(url(1));
      case 'array':
        return [Request.get(url(1)), Request.get(url(2))];
      case 'iterable':
        return (function* () {
          for (let i = 1; i <= 3; i++) yield Request.get(url(i));
        })();
      case 'async':
        return (async function* () {
          for (let i = 1; i <= 4; i++) {
            await Promise.resolve();
            yield Request.get(url(i));
          }
        })();
      case 'none':
        return null;
      case 'bad':
        return [Request.get(url(1)), url(2)] as unknown as Request[];
    }
  }

  parse(res: Response, ctx: ParseContext) {
    this.parsed = ctx;
    const out = new ParseOutput<{ title: string }>();
    for (const url of res.links('a.page')) out.withNext('pages', { url });
    return out.withData({ title: res.$('h1').text() });
  }
}

describe('runGenerate', () => {
  const node = new PagesNode();
  const ctx = (mode: Mode) =>
    createGenerateContext({ input: { mode }, config: { base: 'http://shop.test' } });

  it('drains every form generate() may return', async () => {
    const urls = async (mode: Mode) => (await runGenerate(node, ctx(mode))).map((r) => r.url);
    expect(await urls('one')).toEqual(['http://shop.test/p/1']);
    expect(await urls('array')).toHaveLength(2);
    expect(await urls('iterable')).toEqual([
      'http://shop.test/p/1',
      'http://shop.test/p/2',
      'http://shop.test/p/3',
    ]);
    expect(await urls('async')).toHaveLength(4);
    expect(await urls('none')).toEqual([]);
  });

  it('fails with an AssertionError naming the node when a yielded value is not a Request', async () => {
    const err = await runGenerate(node, ctx('bad')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AssertionError);
    expect((err as Error).message).toContain('node "pages" (PagesNode)');
    expect((err as Error).message).toContain('position 1');
  });

  it('gives the node an entry context keyed by its @Node key by default', async () => {
    const fresh = new PagesNode();
    await runGenerate(fresh, createGenerateContext({ config: { base: 'http://x.test' } }));
    expect(fresh.seen?.input).toBeUndefined();
    await runGenerate(fresh).catch(() => undefined);
    expect(fresh.seen?.nodeKey).toBe('pages');
    expect(fresh.seen?.config).toEqual({});
  });
});

describe('runParse and the ParseOutput assertions', () => {
  const html = '<h1>Shoes</h1><a class="page" href="/p/2">2</a><a class="page" href="3#top">3</a>';

  it('runs parse on an HTML response and exposes dispatches and items', async () => {
    const node = new PagesNode();
    const res = responseFromHtml(html, { url: 'http://shop.test/p/1' });
    const out = await runParse<{ mode: Mode }, { title: string }>(node, res);
    expect(expectNext(out, 'pages')).toEqual([
      { url: 'http://shop.test/p/2' },
      { url: 'http://shop.test/p/3' },
    ]);
    expect(expectNext(out, 'pages', 2)).toHaveLength(2);
    expect(expectData(out, 1)).toEqual([{ title: 'Shoes' }]);
    // The default context answers the response's own request.
    expect(node.parsed?.request.url).toBe('http://shop.test/p/1');
    expect(node.parsed?.nodeKey).toBe('pages');
  });

  it('passes a given context through', async () => {
    const node = new PagesNode();
    const ctx = createParseContext({ module: 'shop', config: { a: 1 }, url: 'http://shop.test/q' });
    await runParse(node, responseFromHtml(html, { url: 'http://shop.test/p/1' }), ctx);
    expect(node.parsed).toBe(ctx);
    expect(node.parsed?.request.url).toBe('http://shop.test/q');
  });

  it('expectNext and expectData throw AssertionErrors that say what was dispatched', async () => {
    const out = new ParseOutput().withNext('detail', { id: 1 }).withNext('detail', { id: 2 });
    expect(() => expectNext(out, 'list')).toThrow(AssertionError);
    expect(() => expectNext(out, 'list')).toThrow(/"list", got 0; dispatched: detail ×2/);
    expect(() => expectNext(out, 'detail', 3)).toThrow(/3 dispatch\(es\) to "detail", got 2/);
    expect(expectNext(out, 'list', 0)).toEqual([]);
    expect(() => expectData(out)).toThrow(/at least one data item, got 0/);
    expect(expectData(out, 0)).toEqual([]);
  });

  it('rejects a parse() that does not return a ParseOutput', async () => {
    const broken = { generate: () => null, parse: () => ({ next: [], data: [] }) } as unknown as CrawlerNode;
    const res = responseFromJson({ a: 1 }, { url: 'http://shop.test/api' });
    await expect(runParse(broken, res)).rejects.toThrow(/expected a ParseOutput/);
  });
});

describe('response factories', () => {
  it('build responses the parser helpers can read', () => {
    const json = responseFromJson(
      { items: [1, 2] },
      { url: 'http://api.test/x', status: 201, headers: { 'X-A': 'b' } },
    );
    expect(json.json()).toEqual({ items: [1, 2] });
    expect(json.status).toBe(201);
    expect(json.header('x-a')).toBe('b');
    expect(json.header('content-type')).toMatch(/application\/json/);
    const req = Request.get('http://api.test/x').addMeta('page', 3);
    const html = responseFromHtml('<p>é</p>', { url: 'http://api.test/x', request: req });
    expect(html.css('p')).toEqual(['é']);
    expect(html.meta).toEqual({ page: 3 });
    expect(html.id).toBe(req.id);
  });
});

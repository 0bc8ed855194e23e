import { describe, expect, it } from 'vitest';
import type { ResponseData } from '../../src/request/request-data.js';
import { Request } from '../../src/request/request.js';
import { Response } from '../../src/request/response.js';
import { ResponseParseError } from '../../src/request/response-parse.error.js';

function response(
  body: string | Uint8Array,
  headers: Record<string, string> = {},
  url = 'https://shop.test/catalog/list?page=1',
): Response {
  const request = Request.get(url).addMeta('page', 1).toData();
  const data: ResponseData = {
    id: request.id,
    status: 200,
    url,
    headers,
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    request,
    elapsedMs: 12,
  };
  return new Response(data);
}

describe('Response basics', () => {
  it('exposes status, ok, headers case-insensitively, meta and the request', () => {
    const res = response('x', { 'content-type': 'text/plain', 'x-count': '3' });
    expect(res.status).toBe(200);
    expect(res.ok).toBe(true);
    expect(res.header('X-Count')).toBe('3');
    expect(res.header('missing')).toBeUndefined();
    expect(res.meta).toEqual({ page: 1 });
    expect(res.request.url).toBe('https://shop.test/catalog/list?page=1');
    expect(res.request.id).toBe(res.id);
    expect(res.elapsedMs).toBe(12);
    expect(res.fromCache).toBe(false);
    expect(res.toData().body).toBe(res.body);
  });

  it('is not ok outside 2xx', () => {
    const data = { ...response('').toData(), status: 503 };
    expect(new Response(data).ok).toBe(false);
    expect(new Response({ ...data, status: 204 }).ok).toBe(true);
  });
});

describe('Response.text', () => {
  it('decodes with the charset of Content-Type (latin-1)', () => {
    const bytes = Buffer.from('café crème', 'latin1');
    const res = response(bytes, { 'content-type': 'text/html; charset=ISO-8859-1' });
    expect(res.text()).toBe('café crème');
    // The same bytes read as utf-8 would not give the accented letters back.
    expect(response(bytes, { 'content-type': 'text/html' }).text()).not.toBe('café crème');
  });

  it('defaults to utf-8 and uses a <meta charset> when the header has none', () => {
    expect(response('naïve ✓', { 'content-type': 'text/plain' }).text()).toBe('naïve ✓');
    const html = Buffer.from(
      '<html><head><meta charset="windows-1252"></head><body>né</body></html>',
      'latin1',
    );
    expect(response(html, { 'content-type': 'text/html' }).text()).toContain('né');
  });

  it('falls back to utf-8 on an unknown charset label', () => {
    expect(response('ok ✓', { 'content-type': 'text/plain; charset=x-unknown-9' }).text()).toBe('ok ✓');
  });
});

describe('Response.json', () => {
  it('parses JSON', () => {
    expect(response('{"items":[1,2]}').json<{ items: number[] }>().items).toEqual([1, 2]);
  });

  it('throws ResponseParseError naming the URL on invalid JSON', () => {
    const res = response('<html>not json</html>');
    expect(() => res.json()).toThrow(ResponseParseError);
    expect(() => res.json()).toThrow(/https:\/\/shop\.test\/catalog\/list\?page=1/);
  });
});

describe('Response HTML helpers', () => {
  const page = `<html><body>
    <h1> Catalog </h1>
    <a class="product" href="/p/1">One</a>
    <a class="product" href="p/2#reviews">Two</a>
    <a class="product" href="https://cdn.test/p/3">Three</a>
    <a class="product" href="/p/1">One again</a>
    <a href="mailto:shop@test">mail</a>
    <a href="javascript:void(0)">js</a>
    <img src="../img/x.png">
  </body></html>`;

  it('selects with $ and caches the document', () => {
    const res = response(page, { 'content-type': 'text/html' });
    expect(res.$('a.product').length).toBe(4);
    expect(res.$).toBe(res.$);
  });

  it('css() returns the trimmed text of matches', () => {
    const res = response(page, { 'content-type': 'text/html' });
    expect(res.css('h1')).toEqual(['Catalog']);
    expect(res.css('a.product')).toEqual(['One', 'Two', 'Three', 'One again']);
  });

  it('releaseParsed() drops the document, and a later selector parses the body again', () => {
    const res = response(page, { 'content-type': 'text/html' });
    const root = res.$;
    expect(res.css('h1')).toEqual(['Catalog']);
    res.releaseParsed();
    expect(res.$).not.toBe(root);
    expect(res.css('h1')).toEqual(['Catalog']);
    expect(res.links('a.product')).toHaveLength(3);
  });

  it('releaseParsed() empties the child lists of the released document, text and attributes stay', () => {
    const res = response(page, { 'content-type': 'text/html' });
    const $ = res.$;
    const body = $('body').get(0)!;
    const link = $('a.product').get(0)!;
    expect(body.children.length).toBeGreaterThan(0);
    res.releaseParsed();
    expect(body.children).toHaveLength(0);
    expect(link.children).toHaveLength(0);
    expect(link.attribs['class']).toBe('product');
    // The response itself parses again from the body.
    expect(res.css('a.product')).toEqual(['One', 'Two', 'Three', 'One again']);
  });

  it('cssFirst() returns the first match trimmed, or undefined', () => {
    const res = response(page, { 'content-type': 'text/html' });
    expect(res.cssFirst('a.product')).toBe('One');
    expect(res.cssFirst('h2')).toBeUndefined();
  });

  it("answers cheerio's jQuery selectors (:first, :eq) the way cheerio does", () => {
    const res = response(page, { 'content-type': 'text/html' });
    expect(res.css('a.product:eq(1)')).toEqual(['Two']);
    expect(res.cssFirst('a.product:last')).toBe('One again');
    expect(res.links('a.product:first')).toEqual(['https://shop.test/p/1']);
    expect(res.css('a.product:eq(1)')).toEqual(
      res
        .$('a.product:eq(1)')
        .toArray()
        .map((el) => res.$(el).text()),
    );
  });

  it('runs a cached selector against each document, not the first one it saw', () => {
    const one = response('<p class="x">first</p>', { 'content-type': 'text/html' });
    const two = response('<p class="x">second</p><p class="x">third</p>', { 'content-type': 'text/html' });
    expect(one.css('p.x')).toEqual(['first']);
    expect(two.css('p.x')).toEqual(['second', 'third']);
    expect(one.cssFirst('p.x')).toBe('first');
  });

  it('reports a malformed selector as an error naming it and the URL', () => {
    const res = response(page, { 'content-type': 'text/html' });
    expect(() => res.css('a[href')).toThrow(ResponseParseError);
    expect(() => res.links('a[href')).toThrow(/invalid selector "a\[href".*catalog\/list\?page=1/);
  });

  it('parses like htmlparser2: no inferred <tbody>, entities decoded', () => {
    const res = response('<table><tr><td>A &amp; B</td></tr></table>', { 'content-type': 'text/html' });
    expect(res.css('table > tr > td')).toEqual(['A & B']);
    expect(res.css('tbody')).toEqual([]);
  });

  it('links() resolves against the response URL, drops fragments and non-http links, dedupes in order', () => {
    const res = response(page, { 'content-type': 'text/html' });
    expect(res.links()).toEqual([
      'https://shop.test/p/1',
      'https://shop.test/catalog/p/2',
      'https://cdn.test/p/3',
    ]);
    expect(res.links('img')).toEqual(['https://shop.test/img/x.png']);
  });

  it('links() and urljoin() honour <base href>', () => {
    const res = response(
      '<html><head><base href="https://mirror.test/root/"></head><a href="a">a</a></html>',
      {
        'content-type': 'text/html',
      },
    );
    expect(res.links()).toEqual(['https://mirror.test/root/a']);
    expect(res.urljoin('b?x=1')).toBe('https://mirror.test/root/b?x=1');
  });

  it('honours a <BASE> spelled in capitals with the attribute on the next line, and only an element', () => {
    const upper = response(
      '<HTML><HEAD><BASE\n HREF="https://mirror.test/up/"></HEAD><A HREF="a">a</A></HTML>',
      {
        'content-type': 'text/html',
      },
    );
    expect(upper.links()).toEqual(['https://mirror.test/up/a']);
    const mention = response('<p>use &lt;base href="https://evil.test/"&gt; here</p><a href="/b">b</a>', {
      'content-type': 'text/html',
    });
    expect(mention.links()).toEqual(['https://shop.test/b']);
  });

  it('urljoin() resolves relative to the response URL', () => {
    const res = response('{}', { 'content-type': 'application/json' });
    expect(res.urljoin('../item/9')).toBe('https://shop.test/item/9');
    expect(res.urljoin('?page=2')).toBe('https://shop.test/catalog/list?page=2');
  });
});

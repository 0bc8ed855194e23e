import { describe, expect, it } from 'vitest';
import type { ResponseData } from '../../src/request/request-data.js';
import { Request } from '../../src/request/request.js';
import { Response } from '../../src/request/response.js';

// links() skips the URL parser for root-relative hrefs it deems canonical; every href here must still come out
// exactly as the WHATWG URL parser resolves it.
const HREFS = [
  '/product/1',
  '/catalog/2?page=3&sort=price',
  '/a/./b',
  '/a/../b',
  '/a/%2e%2E/b',
  '/a/.',
  '/with space',
  '/quote"and<angle>',
  "/apos?x='y'",
  '/tick`{brace}',
  '/caret^x',
  '/back\\slash',
  '//other.test/x',
  '/\\other.test/y',
  '/ünïcode',
  '/frag#part',
  '/tab\tin',
  '/pct%zz/%41',
  '/q?a=/./b',
  '/',
  ' /padded ',
];

function response(url: string, hrefs: readonly string[]): Response {
  const html = hrefs
    .map((h) => `<a href="${h.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}">x</a>`)
    .join('');
  const request = Request.get(url).toData();
  const data: ResponseData = {
    id: request.id,
    status: 200,
    url,
    headers: { 'content-type': 'text/html' },
    body: Buffer.from(html, 'utf8'),
    request,
    elapsedMs: 1,
  };
  return new Response(data);
}

function expected(base: string, hrefs: readonly string[]): string[] {
  const out = new Set<string>();
  for (const h of hrefs) {
    const u = new URL(h.trim(), base);
    u.hash = '';
    out.add(u.href);
  }
  return [...out];
}

describe('Response.links() over root-relative hrefs', () => {
  it.each([
    'http://127.0.0.1:8080/catalog/1',
    'https://Shop.Test:443/x/y?z=1',
    'http://user:pw@shop.test/list',
  ])('matches the URL parser for every href, base %s', (base) => {
    expect(response(base, HREFS).links()).toEqual(expected(base, HREFS));
  });
});

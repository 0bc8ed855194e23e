import { describe, expect, it } from 'vitest';
import { plainUrlOriginEnd } from '../../src/request/plain-url.js';
import { canonicalUrl } from '../../src/request/request-fingerprint.js';

// Every combination of these parts, many of which the WHATWG parser rewrites (case, default ports, IPv4 forms,
// punycode, dot segments, characters it percent-encodes) or rejects.
const SCHEMES = ['http://', 'https://', 'HTTP://', 'Https://', 'ftp://', 'ws://', 'http:/', 'http:\\\\'];
const HOSTS = [
  'example.com',
  'Example.com',
  'a.b.c',
  'a-b.c-',
  '127.0.0.1',
  '127.1',
  '0x7f.0.0.1',
  '01.2.3.4',
  '1.2.3.04',
  '256.1.1.1',
  '1.2.3.4.5',
  '999',
  'a.1',
  '1.2.3.com',
  'xn--nxasmq6b.com',
  'a..b',
  '.a',
  'a.',
  'bücher.de',
  'a_b.com',
  'user@host.com',
  'user:pw@host.com',
  '[::1]',
  '',
];
const PORTS = ['', ':80', ':443', ':8080', ':0', ':080', ':', ':65535', ':65536', ':99999', ':1a'];
const PATHS = [
  '',
  '/',
  '/product/123',
  '/a/b/',
  '//x',
  '/./a',
  '/a/../b',
  '/a/.',
  '/%2e/',
  '/a/%2E%2e/b',
  '/a%2Eb',
  '/.well-known/x',
  '/a b',
  '/ä',
  '/a?x=1',
  '/a?',
  '/a#f',
  '/a\\b',
  "/it's",
  '/a|b',
  '/a^b',
  '/a{b}',
  '/%zz',
  '/a:b@c',
  "/!$&'()*+,;=~_-.",
  '/a\tb',
];

function parsed(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

describe('plainUrlOriginEnd', () => {
  it('accepts only URLs the WHATWG parser keeps exactly as written, and finds their origin', () => {
    let accepted = 0;
    let checked = 0;
    for (const scheme of SCHEMES) {
      for (const host of HOSTS) {
        for (const port of PORTS) {
          for (const path of PATHS) {
            const url = scheme + host + port + path;
            checked++;
            const end = plainUrlOriginEnd(url);
            if (end < 0) continue;
            accepted++;
            const u = parsed(url);
            expect(u, `${url} accepted but the parser rejects it`).toBeDefined();
            expect(u!.href, url).toBe(url);
            expect(url.slice(0, end), url).toBe(u!.origin);
            expect(u!.search + u!.hash, url).toBe('');
            expect(u!.username + u!.password, url).toBe('');
          }
        }
      }
    }
    expect(checked).toBe(SCHEMES.length * HOSTS.length * PORTS.length * PATHS.length);
    // The fast path has to take the common case, or it saves nothing.
    expect(accepted).toBeGreaterThan(200);
  });

  it('takes the URLs a crawl mostly sees', () => {
    for (const url of [
      'http://127.0.0.1:40123/product/17',
      'https://shop.example.com/catalog/2',
      'https://example.com/',
      'http://a-b.example:8080/x/y;z=1/',
    ]) {
      expect(plainUrlOriginEnd(url), url).toBe(new URL(url).origin.length);
    }
  });

  it('leaves every other spelling to the parser', () => {
    for (const url of [
      'http://example.com',
      'http://Example.com/',
      'http://example.com:80/',
      'https://example.com:443/',
      'http://127.1/',
      'http://example.com/a?b=1',
      'http://example.com/a#x',
      'http://example.com/a/../b',
      'http://u@example.com/',
      'mailto:x@example.com',
    ]) {
      expect(plainUrlOriginEnd(url), url).toBe(-1);
    }
  });

  it('gives canonicalUrl the same answer on both paths', () => {
    // A plain URL is its own canonical form; the parser-based path must agree for each one accepted above.
    for (const url of ['http://127.0.0.1:40123/product/17', 'https://shop.example.com/catalog/2']) {
      expect(canonicalUrl(url)).toBe(url);
      expect(canonicalUrl(url, [['a', '1']])).toBe(`${url}?a=1`);
    }
    expect(canonicalUrl('HTTP://Example.COM:80/a/../b#x')).toBe('http://example.com/b');
  });
});

import { describe, expect, it } from 'vitest';
import type { RequestData } from '../../src/request/request-data.js';
import { Request } from '../../src/request/request.js';
import { canonicalJson, canonicalUrl, requestFingerprint } from '../../src/request/request-fingerprint.js';

function withRun(req: Request, runId: string): RequestData {
  return { ...req.toData(), runId };
}

describe('requestFingerprint stability', () => {
  it('is 32 hex chars', () => {
    expect(Request.get('http://a.test/').fingerprint()).toMatch(/^[0-9a-f]{32}$/);
  });

  it('ignores the order of query parameters, in the URL and in params', () => {
    const a = Request.get('http://a.test/s?b=2&a=1').withParams({ c: '3' });
    const b = Request.get('http://a.test/s?c=3').withParams([
      ['a', '1'],
      ['b', '2'],
    ]);
    expect(a.fingerprint()).toBe(b.fingerprint());
  });

  it('orders repeated keys by value', () => {
    const a = Request.get('http://a.test/s?t=y&t=x');
    const b = Request.get('http://a.test/s').withParams({ t: ['x', 'y'] });
    expect(a.fingerprint()).toBe(b.fingerprint());
  });

  it('ignores the fragment, the default port and scheme/host case', () => {
    const base = Request.get('https://shop.test/p?id=1').fingerprint();
    expect(Request.get('https://shop.test/p?id=1#reviews').fingerprint()).toBe(base);
    expect(Request.get('https://shop.test:443/p?id=1').fingerprint()).toBe(base);
    expect(Request.get('HTTPS://SHOP.Test/p?id=1').fingerprint()).toBe(base);
  });

  it('ignores JSON key order and headers, cookies and meta', () => {
    const a = Request.post('http://a.test/').withJson({ a: 1, b: { y: [1, { q: 1, p: 2 }], x: null } });
    const b = Request.post('http://a.test/')
      .withJson({ b: { x: null, y: [1, { p: 2, q: 1 }] }, a: 1 })
      .withHeaders({ 'x-h': '1' })
      .withCookies({ c: '1' })
      .addMeta('k', 'v');
    expect(a.fingerprint()).toBe(b.fingerprint());
  });

  it('ignores form field order', () => {
    const a = Request.post('http://a.test/').withForm({ a: '1', b: '2' });
    const b = Request.post('http://a.test/').withForm([
      ['b', '2'],
      ['a', '1'],
    ]);
    expect(a.fingerprint()).toBe(b.fingerprint());
  });

  it('is the same for a request and its data', () => {
    const req = Request.post('http://a.test/').withBody('xyz');
    expect(requestFingerprint(req.toData())).toBe(req.fingerprint());
  });
});

describe('requestFingerprint sensitivity', () => {
  it('changes with the method', () => {
    expect(Request.get('http://a.test/').fingerprint()).not.toBe(
      Request.post('http://a.test/').fingerprint(),
    );
  });

  it('changes with the path, a param value or its case', () => {
    const base = Request.get('http://a.test/p?x=1').fingerprint();
    expect(Request.get('http://a.test/q?x=1').fingerprint()).not.toBe(base);
    expect(Request.get('http://a.test/p?x=2').fingerprint()).not.toBe(base);
    expect(Request.get('http://a.test/P?x=1').fingerprint()).not.toBe(base);
    expect(Request.get('http://a.test:8080/p?x=1').fingerprint()).not.toBe(base);
  });

  it('changes with the body, and tells json, form and bytes apart', () => {
    const json = Request.post('http://a.test/').withJson({ a: '1' }).fingerprint();
    expect(Request.post('http://a.test/').withJson({ a: '2' }).fingerprint()).not.toBe(json);
    const form = Request.post('http://a.test/').withForm({ a: '1' }).fingerprint();
    const bytes = Request.post('http://a.test/').withBody('a=1').fingerprint();
    const none = Request.post('http://a.test/').fingerprint();
    expect(new Set([json, form, bytes, none]).size).toBe(4);
    expect(Request.post('http://a.test/').withBody('a=2').fingerprint()).not.toBe(bytes);
  });

  it('changes with the run id', () => {
    const req = Request.get('http://a.test/');
    const r1 = requestFingerprint(withRun(req, 'run-1'));
    expect(requestFingerprint(withRun(req, 'run-1'))).toBe(r1);
    expect(requestFingerprint(withRun(req, 'run-2'))).not.toBe(r1);
    expect(req.fingerprint()).not.toBe(r1);
  });
});

describe('canonical forms', () => {
  it('canonicalUrl sorts and re-encodes the query', () => {
    expect(canonicalUrl('HTTP://A.test:80/x?b=2&a=%20#f', [['c', 'é']])).toBe(
      'http://a.test/x?a=%20&b=2&c=%C3%A9',
    );
  });

  it('canonicalUrl keeps credentials and gives an empty path its slash', () => {
    expect(canonicalUrl('http://u:p@A.test?b=1#x')).toBe('http://u:p@a.test/?b=1');
    expect(canonicalUrl('http://u@a.test:8080')).toBe('http://u@a.test:8080/');
  });

  it('canonicalJson sorts keys and drops what JSON.stringify drops', () => {
    expect(canonicalJson({ b: [undefined, 2], a: undefined, c: new Date(0) })).toBe(
      '{"b":[null,2],"c":"1970-01-01T00:00:00.000Z"}',
    );
  });

  it('canonicalJson reports a cycle instead of overflowing the stack', () => {
    const o: Record<string, unknown> = {};
    o.self = o;
    expect(() => canonicalJson(o, 'http://a.test/')).toThrow(/cycle.*http:\/\/a\.test\//);
  });
});

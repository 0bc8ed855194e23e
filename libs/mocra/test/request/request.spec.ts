import { describe, expect, it } from 'vitest';
import { Request } from '../../src/request/request.js';
import { RequestError } from '../../src/request/request.error.js';

describe('Request builders', () => {
  it('builds every field through chainable builders', () => {
    const req = Request.post('https://shop.test/search')
      .withParams({ q: 'shoes', page: 2, skip: undefined, tag: ['a', 'b'] })
      .withParams([['sort', 'price']])
      .withHeaders({ 'X-Token': 'abc', Accept: 'text/html' })
      .withCookies({ sid: 's1' })
      .withCookies({ lang: 'en' })
      .withJson({ b: 1, a: [1, 2] })
      .addMeta('page', 2)
      .withMeta({ source: 'list' })
      .withSleep(5)
      .withPriority('high')
      .withTimeout(1500)
      .useProxy('http://user:pw@10.0.0.1:3128')
      .enableSession()
      .enableResponseCache(true);

    expect(req.method).toBe('POST');
    expect(req.url).toBe('https://shop.test/search');
    expect(req.params).toEqual([
      ['q', 'shoes'],
      ['page', '2'],
      ['tag', 'a'],
      ['tag', 'b'],
      ['sort', 'price'],
    ]);
    expect(req.headers).toEqual({ 'x-token': 'abc', accept: 'text/html' });
    expect(req.cookies).toEqual({ sid: 's1', lang: 'en' });
    expect(req.json).toEqual({ b: 1, a: [1, 2] });
    expect(req.meta).toEqual({ page: 2, source: 'list' });
    expect(req.sleepMs).toBe(5);
    expect(req.priority).toBe('high');
    expect(req.timeoutMs).toBe(1500);
    expect(req.proxy).toBe('http://user:pw@10.0.0.1:3128');
    expect(req.sessionEnabled).toBe(true);
    expect(req.responseCacheEnabled).toBe(true);
    expect(req.enableSession(false).sessionEnabled).toBe(false);
  });

  it('replaces a header whatever the case of its name', () => {
    const req = Request.get('http://a.test/')
      .withHeaders({ 'User-Agent': 'one' })
      .withHeaders({ 'user-agent': 'two' });
    expect(req.headers).toEqual({ 'user-agent': 'two' });
  });

  it('keeps exactly one of json, body and form', () => {
    const req = Request.post('http://a.test/').withJson({ a: 1 });
    req.withForm({ x: '1' });
    expect(req.json).toBeUndefined();
    expect(req.form).toEqual([['x', '1']]);
    req.withBody('héllo');
    expect(req.form).toBeUndefined();
    expect(Buffer.from(req.body!).toString('utf8')).toBe('héllo');
    req.withJson(null);
    expect(req.body).toBeUndefined();
    expect(req.toData().json).toBeNull();
  });

  it('gives each request its own id', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => Request.get('http://a.test/').id));
    expect(ids.size).toBe(1000);
  });

  it('accepts a lower-case method and defaults to GET', () => {
    expect(new Request('http://a.test/', 'put').method).toBe('PUT');
    expect(new Request('http://a.test/').method).toBe('GET');
    expect(Request.delete('http://a.test/').method).toBe('DELETE');
  });
});

describe('Request validation', () => {
  it('rejects a relative or malformed URL with a RequestError naming it', () => {
    expect(() => Request.get('/relative/path')).toThrow(RequestError);
    expect(() => Request.get('/relative/path')).toThrow('/relative/path');
    expect(() => Request.get('http://exa mple.com/')).toThrow(/exa mple/);
  });

  it('rejects a non-HTTP scheme', () => {
    expect(() => Request.get('ftp://files.test/x')).toThrow(
      /unsupported URL scheme ftp:.*ftp:\/\/files\.test\/x/,
    );
  });

  it('rejects an unknown method naming the URL', () => {
    const err = (() => {
      try {
        new Request('http://a.test/x', 'FETCH' as 'GET');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(RequestError);
    expect((err as RequestError).url).toBe('http://a.test/x');
    expect((err as Error).message).toMatch(/FETCH.*http:\/\/a\.test\/x/);
  });

  it('rejects header injection, bad timings, priorities and proxies', () => {
    const req = Request.get('http://a.test/');
    expect(() => req.withHeaders({ 'x-a': 'v\r\nInjected: 1' })).toThrow(RequestError);
    expect(() => req.withHeaders({ 'bad name': 'v' })).toThrow(RequestError);
    expect(() => req.withSleep(-1)).toThrow(RequestError);
    expect(() => req.withTimeout(Number.NaN)).toThrow(RequestError);
    expect(() => req.withPriority('urgent' as 'high')).toThrow(RequestError);
    expect(() => req.useProxy('socks5://10.0.0.1:1080')).toThrow(RequestError);
    expect(() => req.withJson(undefined)).toThrow(RequestError);
    expect(() => req.withCookies({ sid: 'a; admin=1' })).toThrow(RequestError);
    expect(() => req.withCookies({ 'a=b': '1' })).toThrow(RequestError);
  });
});

describe('Request toData / fromData', () => {
  it('round-trips every field and the id', () => {
    const req = Request.post('https://a.test/p?x=1')
      .withParams([['y', '2']])
      .withHeaders({ 'x-h': '1' })
      .withCookies({ c: 'v' })
      .withForm([
        ['f', '1'],
        ['f', '2'],
      ])
      .withMeta({ depth: 3 })
      .withSleep(1)
      .withPriority('low')
      .withTimeout(10)
      .useProxy('http://p.test:8080')
      .enableResponseCache();
    const data = req.toData();
    const back = Request.fromData(data);
    expect(back.toData()).toEqual(data);
    expect(back.id).toBe(req.id);
    expect(back.fingerprint()).toBe(req.fingerprint());
  });

  it('hands out data that later builder calls do not change', () => {
    const req = Request.get('http://a.test/').withHeaders({ a: '1' }).withParams({ p: '1' });
    const data = req.toData();
    req.withHeaders({ b: '2' }).withParams({ q: '2' }).addMeta('m', 1);
    expect(data.headers).toEqual({ a: '1' });
    expect(data.params).toEqual([['p', '1']]);
    expect(data.meta).toEqual({});
  });

  it('does not let a Request built from data mutate that data', () => {
    const data = Request.get('http://a.test/').toData();
    Request.fromData(data).withHeaders({ a: '1' }).addMeta('k', 'v');
    expect(data.headers).toEqual({});
    expect(data.meta).toEqual({});
  });

  it('exposes runtime stamps from the data', () => {
    const data = { ...Request.get('http://a.test/').toData(), runId: 'r1', module: 'm', retryCount: 2 };
    const req = Request.fromData(data);
    expect([req.runId, req.module, req.retryCount]).toEqual(['r1', 'm', 2]);
  });
});

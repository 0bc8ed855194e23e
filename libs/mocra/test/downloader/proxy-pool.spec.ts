import { describe, expect, it } from 'vitest';
import { parseProxyList, ProxyPool } from '../../src/downloader/index.js';

describe('parseProxyList', () => {
  it('reads ip:port and ip:port:user:pass lines and reports bad ones', () => {
    const { urls, invalid } = parseProxyList(
      '# comment\n10.0.0.1:8080\r\n\n10.0.0.2:3128:u s:p@ss\nhttp://10.0.0.3:8000\nbad line\n10.0.0.4:99999\n',
    );
    expect(urls).toEqual([
      'http://10.0.0.1:8080',
      'http://u%20s:p%40ss@10.0.0.2:3128',
      'http://10.0.0.3:8000',
    ]);
    expect(invalid).toEqual(['bad line', '10.0.0.4:99999']);
  });
});

function pool(maxErrors = 2): ProxyPool {
  return new ProxyPool({ name: 'p', maxErrors, maxSize: 10, minSize: 0, refillThreshold: 0 });
}

describe('ProxyPool', () => {
  it('rotates between equally good proxies', async () => {
    const p = pool();
    p.add([
      { url: 'http://a:1', ratePerSec: 0 },
      { url: 'http://b:1', ratePerSec: 0 },
    ]);
    const picked: string[] = [];
    for (let i = 0; i < 4; i++) {
      const lease = (await p.lease())!;
      picked.push(lease.url);
      lease.succeeded(10);
    }
    expect(picked.filter((u) => u === 'http://a:1').length).toBe(2);
  });

  it('evicts after maxErrors consecutive failures and never lends past the remaining budget', async () => {
    const p = pool(2);
    p.add([{ url: 'http://bad:1', ratePerSec: 0 }]);
    const first = (await p.lease())!;
    const second = (await p.lease())!;
    let third: string | undefined;
    const pending = p.lease().then((l) => (third = l?.url));
    await new Promise((r) => setTimeout(r, 10));
    expect(third).toBeUndefined();
    first.failed();
    second.failed();
    await pending;
    expect(third).toBeUndefined();
    expect(p.size).toBe(0);
    expect(p.evicted).toBe(1);
    p.add([{ url: 'http://bad:1', ratePerSec: 0 }]);
    expect(p.size).toBe(0);
  });

  it('prefers a proxy with a better record', async () => {
    const p = pool(5);
    p.add([
      { url: 'http://flaky:1', ratePerSec: 0 },
      { url: 'http://solid:1', ratePerSec: 0 },
    ]);
    const a = (await p.lease())!;
    const b = (await p.lease())!;
    (a.url === 'http://flaky:1' ? a : b).failed();
    (a.url === 'http://flaky:1' ? b : a).succeeded(5);
    for (let i = 0; i < 3; i++) {
      const l = (await p.lease())!;
      expect(l.url).toBe('http://solid:1');
      l.succeeded(5);
    }
  });

  it('waits for a rate-limited proxy instead of exceeding its rate', async () => {
    const p = pool();
    p.add([{ url: 'http://only:1', ratePerSec: 10 }]);
    (await p.lease())!.succeeded(1);
    const start = performance.now();
    (await p.lease())!.succeeded(1);
    expect(performance.now() - start).toBeGreaterThanOrEqual(90);
  });
});

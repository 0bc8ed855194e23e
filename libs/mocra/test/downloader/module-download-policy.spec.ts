import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createBuiltInDownloader, resolveModuleDownloadPolicy } from '../../src/downloader/index.js';

describe('resolveModuleDownloadPolicy', () => {
  it('lets [modules.<name>] win over decorator options, which win over the defaults', () => {
    const config = loadConfig({
      name: 'p',
      download_config: { rate_limit: 3, timeout: 20 },
      modules: { shop: { rate_limit: 7, proxy_pool: 'eu', robots_txt: true, response_cache_ttl_secs: 90 } },
    });
    const policy = resolveModuleDownloadPolicy(
      {
        name: 'shop',
        rateLimit: 1,
        rateLimitGroup: 'partners',
        concurrency: 4,
        proxyPool: 'us',
        enableSession: true,
        responseCache: { enabled: true, ttlSecs: 10 },
      },
      config,
    );
    expect(policy).toEqual({
      module: 'shop',
      rateLimit: 7,
      rateLimitGroup: 'partners',
      concurrency: 4,
      timeoutMs: 20_000,
      proxyPool: 'eu',
      enableSession: true,
      responseCache: { enabled: true, ttlSecs: 90 },
      robotsTxt: true,
      maxResponseSize: config.download_config.max_response_size,
    });
    const bare = resolveModuleDownloadPolicy({ name: 'other' }, config);
    expect(bare.rateLimit).toBe(3);
    expect(bare.robotsTxt).toBe(false);
    expect(bare.proxyPool).toBeUndefined();
  });
});

describe('createBuiltInDownloader', () => {
  it('builds the named downloader and refuses an unknown name with the choices', async () => {
    const config = loadConfig({ name: 'p' });
    const undici = createBuiltInDownloader('undici', config);
    const axios = createBuiltInDownloader('request_downloader', config);
    expect(undici.name).toBe('undici');
    expect(axios.name).toBe('request_downloader');
    await undici.close();
    await axios.close();
    expect(() => createBuiltInDownloader('curl', config)).toThrow(/unknown downloader "curl".*"undici"/);
  });
});

import { Packr } from 'msgpackr';
import type { CacheService } from '../cache/cache.service.js';
import type { RequestData, ResponseData } from '../request/request-data.js';
import { requestFingerprint } from '../request/request-fingerprint.js';

interface StoredResponse {
  status: number;
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
  elapsedMs: number;
}

// Plain maps, no records: the bytes stay readable by any MessagePack reader (the replicated cache ships them).
const packr = new Packr({ useRecords: false, mapsAsObjects: true, copyBuffers: true });

/**
 * Read-through response cache over the CacheService. The key is the request fingerprint WITHOUT its run id, so a
 * later run within the TTL is served without touching the site. Only 2xx answers are stored: an error page
 * frozen for a TTL would hide the site's recovery.
 */
export class ResponseCache {
  constructor(private readonly cache: CacheService) {}

  key(module: string, req: RequestData): string {
    return `resp:${module}:${requestFingerprint({ ...req, runId: undefined })}`;
  }

  async get(module: string, req: RequestData): Promise<ResponseData | undefined> {
    const bytes = await this.cache.get(this.key(module, req));
    if (!(bytes instanceof Uint8Array)) return undefined;
    let stored: StoredResponse;
    try {
      stored = packr.unpack(bytes) as StoredResponse;
    } catch {
      // A corrupt entry is a miss, and is dropped so it does not stay one.
      await this.cache.del(this.key(module, req));
      return undefined;
    }
    return {
      id: req.id,
      status: stored.status,
      url: stored.url,
      headers: stored.headers,
      body: stored.body,
      request: req,
      elapsedMs: stored.elapsedMs,
      fromCache: true,
    };
  }

  async put(module: string, req: RequestData, res: ResponseData, ttlMs: number): Promise<void> {
    if (res.status < 200 || res.status >= 300 || ttlMs <= 0) return;
    const stored: StoredResponse = {
      status: res.status,
      url: res.url,
      headers: res.headers,
      body: res.body,
      elapsedMs: res.elapsedMs,
    };
    await this.cache.set(this.key(module, req), packr.pack(stored), ttlMs);
  }
}

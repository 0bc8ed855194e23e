import { createHash, timingSafeEqual } from 'node:crypto';
import {
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { MocraConfig } from '../config/mocra-config.js';
import { MOCRA_CONFIG } from '../mocra.tokens.js';
import { RateLimiter } from '../common/rate-limiter.js';

interface HeaderCarrier {
  headers: Record<string, string | string[] | undefined>;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The key a request presents: `Authorization: Bearer <key>` first, then `x-api-key`. */
export function presentedApiKey(headers: HeaderCarrier['headers']): string | undefined {
  const auth = single(headers['authorization']);
  if (auth !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (match) return match[1];
  }
  return single(headers['x-api-key']);
}

/**
 * Guards the control routes with `[api] api_key`. No key configured locks them (403) rather than leaving them
 * open; a missing or wrong key is 401. Keys are compared as SHA-256 digests with `timingSafeEqual`, so the time
 * taken says nothing about the key, its length included. `[api] rate_limit` (requests per second, 0 = none) then
 * delays accepted requests, like the seed's limiter.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly expected: Buffer | undefined;
  private readonly limiter: RateLimiter | undefined;

  constructor(@Inject(MOCRA_CONFIG) config: MocraConfig) {
    const key = config.api?.api_key;
    this.expected = key ? digest(key) : undefined;
    const rate = config.api?.rate_limit ?? 0;
    this.limiter = rate > 0 ? new RateLimiter(rate) : undefined;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.expected) {
      throw new ForbiddenException('the control API is locked: set [api] api_key to enable it');
    }
    const presented = presentedApiKey(context.switchToHttp().getRequest<HeaderCarrier>().headers);
    if (presented === undefined || !timingSafeEqual(digest(presented), this.expected)) {
      throw new UnauthorizedException(
        'missing or wrong API key (send "Authorization: Bearer <key>" or "x-api-key")',
      );
    }
    const wait = this.limiter?.acquire();
    if (wait) await wait;
    return true;
  }
}

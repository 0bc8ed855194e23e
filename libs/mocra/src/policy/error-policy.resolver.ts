import type { MocraConfig } from '../config/mocra-config.js';
import type { ErrorKind } from '../queue/envelope.js';
import type { Backoff, FailureDescriptor, ResolvedPolicy } from './error-policy.js';

const EXP_30S: Backoff = { type: 'exponential', baseMs: 500, maxMs: 30_000 };

/**
 * The seed's built-in defaults per error kind, with `[policy].overrides` on top (the most specific match wins) and
 * `crawler.request_max_retries` as the attempt budget of downloads.
 */
export class ErrorPolicyResolver {
  private readonly cache = new Map<string, ResolvedPolicy>();

  constructor(private readonly config: MocraConfig) {}

  resolve(failure: FailureDescriptor): ResolvedPolicy {
    const key = `${failure.kind}:${failure.stage}`;
    let policy = this.cache.get(key);
    if (!policy) {
      policy = this.applyOverrides(failure, this.builtIn(failure.kind));
      this.cache.set(key, policy);
    }
    return policy;
  }

  private builtIn(kind: ErrorKind): ResolvedPolicy {
    switch (kind) {
      case 'Download':
      case 'Proxy':
      case 'RateLimit':
        return {
          retryable: true,
          maxAttempts: Math.max(1, this.config.crawler.request_max_retries),
          backoff: { type: 'exponential', baseMs: 500, maxMs: 60_000 },
          dlq: 'on_exhausted',
        };
      case 'Request':
      case 'Response':
        return { retryable: false, maxAttempts: 1, backoff: { type: 'none' }, dlq: 'always' };
      case 'Parser': {
        // A throwing parser is nacked: retried nack_max_retries times, nack_backoff_ms apart, then dead-lettered.
        // (Dispatches to undeclared edges are marked not retryable where they are raised.)
        const { nack_max_retries: retries, nack_backoff_ms: backoffMs } = this.config.channel_config;
        return {
          retryable: retries > 0,
          maxAttempts: retries + 1,
          backoff: { type: 'linear', baseMs: backoffMs, maxMs: backoffMs },
          dlq: 'on_exhausted',
        };
      }
      case 'DataMiddleware':
      case 'DataStore':
        return {
          retryable: true,
          maxAttempts: 4,
          backoff: { type: 'linear', baseMs: 200, maxMs: 10_000 },
          dlq: 'on_exhausted',
        };
      default:
        return { retryable: true, maxAttempts: 4, backoff: EXP_30S, dlq: 'on_exhausted' };
    }
  }

  private applyOverrides(failure: FailureDescriptor, base: ResolvedPolicy): ResolvedPolicy {
    const matches = this.config.policy.overrides
      .filter((o) => o.kind === failure.kind && (o.phase === undefined || o.phase === failure.stage))
      .sort((a, b) => Number(a.phase !== undefined) - Number(b.phase !== undefined));
    let policy = base;
    for (const o of matches) {
      const backoff: Backoff | undefined = o.backoff
        ? o.backoff.type === 'none'
          ? { type: 'none' }
          : { type: o.backoff.type, baseMs: o.backoff.base_ms, maxMs: o.backoff.max_ms }
        : o.backoff_ms !== undefined
          ? { type: 'linear', baseMs: o.backoff_ms, maxMs: o.backoff_ms }
          : undefined;
      policy = {
        retryable: o.retryable ?? policy.retryable,
        maxAttempts: o.max_retries !== undefined ? o.max_retries + 1 : policy.maxAttempts,
        backoff: backoff ?? policy.backoff,
        dlq: o.dlq ?? policy.dlq,
      };
    }
    return policy;
  }
}

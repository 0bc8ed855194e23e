import { ERROR_KINDS, type ErrorKind } from '../../queue/envelope.js';
import type { ConfigIssue } from '../config.error.js';
import { ConfigKey, table, tables, type CrossFieldChecked } from '../config-key.decorator.js';
import { bool, nonEmptyStr, nonNegativeInt, oneOf } from '../config-value.kinds.js';

export const BACKOFF_TYPES = ['none', 'linear', 'exponential'] as const;
export type BackoffType = (typeof BACKOFF_TYPES)[number];
export const DLQ_MODES = ['never', 'on_exhausted', 'always'] as const;
export type DlqMode = (typeof DLQ_MODES)[number];

/** `backoff = { type = ... }` of a policy override. */
export type BackoffConfig =
  | { readonly type: 'none' }
  | { readonly type: 'linear' | 'exponential'; readonly base_ms: number; readonly max_ms: number };

export class BackoffConfigSection implements CrossFieldChecked {
  @ConfigKey({ kind: oneOf(BACKOFF_TYPES), required: true, doc: 'Backoff shape between retries.' })
  type!: BackoffType;

  @ConfigKey({ kind: nonNegativeInt, doc: 'First delay in ms (required for linear and exponential).' })
  base_ms?: number;

  @ConfigKey({ kind: nonNegativeInt, doc: 'Largest delay in ms (required for linear and exponential).' })
  max_ms?: number;

  checkFields(): ConfigIssue[] {
    if (this.type === 'none') {
      return (['base_ms', 'max_ms'] as const)
        .filter((key) => this[key] !== undefined)
        .map((key) => ({ path: key, message: 'does not apply to backoff type "none"' }));
    }
    if (this.type !== 'linear' && this.type !== 'exponential') return [];
    const issues: ConfigIssue[] = [];
    if (this.base_ms === undefined)
      issues.push({ path: 'base_ms', message: `is required for type "${this.type}"` });
    if (this.max_ms === undefined)
      issues.push({ path: 'max_ms', message: `is required for type "${this.type}"` });
    if (typeof this.base_ms === 'number' && typeof this.max_ms === 'number' && this.max_ms < this.base_ms) {
      issues.push({
        path: 'max_ms',
        message: `must be at least base_ms (${this.base_ms}), got ${this.max_ms}`,
      });
    }
    return issues;
  }
}

/** `[[policy.overrides]]`: how errors of one kind (optionally narrowed) are retried and dead-lettered. */
export interface PolicyOverrideConfig {
  readonly kind: ErrorKind;
  readonly domain?: string;
  readonly event_type?: string;
  readonly phase?: string;
  readonly retryable?: boolean;
  readonly backoff?: BackoffConfig;
  readonly dlq?: DlqMode;
  readonly alert?: string;
  readonly max_retries?: number;
  readonly backoff_ms?: number;
}

export class PolicyOverrideConfigSection implements PolicyOverrideConfig {
  @ConfigKey({ kind: oneOf(ERROR_KINDS), required: true, doc: 'Error kind this override matches.' })
  kind!: ErrorKind;

  @ConfigKey({ kind: nonEmptyStr, doc: 'Narrows the match to a domain (e.g. "engine").' })
  domain?: string;

  @ConfigKey({ kind: nonEmptyStr, doc: 'Narrows the match to an event type.' })
  event_type?: string;

  @ConfigKey({ kind: nonEmptyStr, doc: 'Narrows the match to a pipeline phase.' })
  phase?: string;

  @ConfigKey({ kind: bool, doc: 'Whether matching errors are retried at all.' })
  retryable?: boolean;

  @ConfigKey({
    kind: table(() => BackoffConfigSection),
    doc: '`{ type = "none" }` or `{ type = "linear" | "exponential", base_ms, max_ms }`.',
  })
  backoff?: BackoffConfig;

  @ConfigKey({ kind: oneOf(DLQ_MODES), doc: 'When a failed message goes to the DLQ.' })
  dlq?: DlqMode;

  @ConfigKey({ kind: oneOf(['info', 'warn', 'error', 'critical']), compat: true, doc: 'Seed: alert level.' })
  alert?: string;

  @ConfigKey({ kind: nonNegativeInt, doc: 'Retries before giving up.' })
  max_retries?: number;

  @ConfigKey({ kind: nonNegativeInt, doc: 'Fixed delay between retries in ms (when no backoff is given).' })
  backoff_ms?: number;
}

/** `[policy]`: error handling per error kind; the most specific matching override wins. */
export interface PolicyConfig {
  readonly overrides: readonly PolicyOverrideConfig[];
}

export class PolicyConfigSection implements PolicyConfig {
  @ConfigKey({
    kind: tables(() => PolicyOverrideConfigSection),
    default: [],
    doc: 'Overrides of the built-in retry, backoff and DLQ policy.',
  })
  overrides!: PolicyOverrideConfig[];
}

import { validateCronExpression } from '../../engine/cron-expression.js';
import { PRIORITIES } from '../../queue/envelope.js';
import type { Priority } from '../../request/request-data.js';
import type { ConfigIssue } from '../config.error.js';
import { ConfigKey, type CrossFieldChecked } from '../config-key.decorator.js';
import {
  bool,
  freeTable,
  nonEmptyStr,
  nonNegativeInt,
  nonNegativeNumber,
  oneOf,
  positiveInt,
  positiveNumber,
} from '../config-value.kinds.js';

/**
 * `[modules.<module name>]`: per-module overrides of `@CrawlerModule` options, plus free `settings` the module's
 * nodes read as `ctx.config`. An absent key keeps the decorator's value.
 */
export interface ModuleConfig {
  readonly enabled: boolean;
  readonly rate_limit?: number;
  readonly concurrency?: number;
  readonly priority?: Priority;
  readonly timeout_secs?: number;
  readonly cron?: string;
  readonly response_cache_enabled?: boolean;
  readonly response_cache_ttl_secs?: number;
  readonly rate_limit_group?: string;
  readonly proxy_pool?: string;
  readonly robots_txt?: boolean;
  readonly enable_session?: boolean;
  readonly settings: Readonly<Record<string, unknown>>;
}

export class ModuleConfigSection implements ModuleConfig, CrossFieldChecked {
  @ConfigKey({ kind: bool, default: true, doc: 'false keeps the module registered but never runs it.' })
  enabled!: boolean;

  @ConfigKey({
    kind: nonNegativeNumber,
    defaultText: "the module's `rateLimit`",
    doc: 'Requests per second for the whole module; 0 means no limit.',
  })
  rate_limit?: number;

  @ConfigKey({
    kind: positiveInt,
    defaultText: "the module's `concurrency`",
    doc: 'Downloads in flight at once.',
  })
  concurrency?: number;

  @ConfigKey({ kind: oneOf(PRIORITIES), defaultText: "the module's `priority`", doc: 'Queue priority.' })
  priority?: Priority;

  @ConfigKey({
    kind: positiveNumber,
    defaultText: "the module's `timeoutSecs`",
    doc: 'Request timeout in seconds.',
  })
  timeout_secs?: number;

  @ConfigKey({
    kind: nonEmptyStr,
    defaultText: "the module's `cron`",
    doc: 'Six-field cron expression (with seconds) that starts the module.',
  })
  cron?: string;

  @ConfigKey({ kind: bool, defaultText: "the module's `responseCache.enabled`", doc: 'Cache responses.' })
  response_cache_enabled?: boolean;

  @ConfigKey({
    kind: nonNegativeInt,
    defaultText: "the module's `responseCache.ttlSecs`, else download_config.cache_ttl",
    doc: 'Seconds a cached response is reused.',
  })
  response_cache_ttl_secs?: number;

  @ConfigKey({
    kind: nonEmptyStr,
    defaultText: "the module's `rateLimitGroup`",
    doc: 'Rate-limit group shared with other modules (`[download_config.groups.<name>]`).',
  })
  rate_limit_group?: string;

  @ConfigKey({
    kind: nonEmptyStr,
    defaultText: "the module's `proxyPool`",
    doc: 'Proxy pool (`pool` of `[proxy]` entries) the module downloads through.',
  })
  proxy_pool?: string;

  @ConfigKey({
    kind: bool,
    defaultText: "the module's `robotsTxt` (false)",
    doc: "Obey each site's robots.txt: disallowed URLs fail, crawl-delay slows the host.",
  })
  robots_txt?: boolean;

  @ConfigKey({
    kind: bool,
    defaultText: "the module's `enableSession`",
    doc: 'Keep a cookie jar per run of the module.',
  })
  enable_session?: boolean;

  @ConfigKey({
    kind: freeTable,
    default: {},
    doc: "Free-form table handed to the module's nodes as `ctx.config`; its keys are not checked.",
  })
  settings!: Record<string, unknown>;

  checkFields(): ConfigIssue[] {
    if (typeof this.cron !== 'string' || this.cron === '') return [];
    const problem = validateCronExpression(this.cron);
    return problem === undefined
      ? []
      : [
          {
            path: 'cron',
            message: `must be a cron expression (${problem}), got ${JSON.stringify(this.cron)}`,
          },
        ];
  }
}

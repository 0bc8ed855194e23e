import { ConfigKey } from '../config-key.decorator.js';
import { nonNegativeInt, positiveInt } from '../config-value.kinds.js';

/** `[scheduler]`: cron triggering of modules. */
export interface SchedulerConfig {
  readonly misfire_tolerance_secs: number;
  readonly concurrency: number;
  readonly refresh_interval_secs: number;
  readonly max_staleness_secs: number;
}

export class SchedulerConfigSection implements SchedulerConfig {
  @ConfigKey({
    kind: nonNegativeInt,
    default: 300,
    doc: 'A cron tick missed by at most this many seconds (pause, restart, leader change) still fires once.',
  })
  misfire_tolerance_secs!: number;

  @ConfigKey({ kind: positiveInt, default: 100, doc: 'Cron-triggered dispatches started at once.' })
  concurrency!: number;

  @ConfigKey({
    kind: positiveInt,
    default: 60,
    doc: "Seconds between refreshes of the cron scheduler's cached module contexts.",
  })
  refresh_interval_secs!: number;

  @ConfigKey({
    kind: positiveInt,
    default: 120,
    doc: 'Seconds a cached module context may serve a cron tick before it must be refreshed.',
  })
  max_staleness_secs!: number;
}

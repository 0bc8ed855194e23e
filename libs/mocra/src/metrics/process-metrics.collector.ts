import { Injectable, type OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, register } from 'prom-client';
import { PROCESS_METRICS_PREFIX } from './metric-names.js';

/**
 * Process health (CPU, memory, event loop lag, GC, handles) from prom-client's default metrics, prefixed `mocra_`.
 * Registered once per process: they describe the process, not an app instance, and prom-client refuses a second
 * registration of the same name.
 */
@Injectable()
export class ProcessMetricsCollector implements OnModuleInit {
  onModuleInit(): void {
    if (register.getSingleMetric(`${PROCESS_METRICS_PREFIX}process_cpu_user_seconds_total`)) return;
    collectDefaultMetrics({ prefix: PROCESS_METRICS_PREFIX });
  }
}

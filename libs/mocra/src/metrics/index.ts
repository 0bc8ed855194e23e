import type { Provider } from '@nestjs/common';
import { MOCRA_EVENT_METRIC_PROVIDERS, MOCRA_STATE_METRIC_PROVIDERS } from './mocra-metrics.providers.js';
import { MocraMetrics } from './mocra.metrics.js';
import { ProcessMetricsCollector } from './process-metrics.collector.js';

/** Everything the metrics need, for `MocraModule`'s providers; export `MocraMetrics` for the engine and users. */
export const MOCRA_METRICS_PROVIDERS: Provider[] = [
  ...MOCRA_EVENT_METRIC_PROVIDERS,
  ...MOCRA_STATE_METRIC_PROVIDERS,
  ProcessMetricsCollector,
  MocraMetrics,
];

export { MocraMetrics } from './mocra.metrics.js';
export { MOCRA_METRIC, type MocraMetricName } from './metric-names.js';
export { statusClassOf, type StatusClass } from './status-class.js';

import type { Priority, RequestData, ResponseData } from '../request/request-data.js';

/** The pipeline routes; each is split by priority. Kafka topic = `{name}-{route}-{priority}`. */
export const ROUTES = ['task', 'request', 'response', 'parser_task', 'error_task'] as const;
export type Route = (typeof ROUTES)[number];

export const PRIORITIES = ['high', 'normal', 'low'] as const;
export type { Priority };

/** Ingress event: what to crawl. account and platform default to "default"; no module list = every module. */
export interface TaskEvent {
  account?: string;
  platform?: string;
  module?: string[];
  priority?: Priority;
  runId?: string;
}

/** RoutingMeta.depth saturates here: deeper than this, order among depths no longer matters. */
export const MAX_CRAWL_DEPTH = 0xffff;

export interface RoutingMeta {
  namespace: string;
  account: string;
  platform: string;
  module: string;
  nodeKey: string;
  runId: string;
  requestId?: string;
  parentRequestId?: string;
  priority: Priority;
  /**
   * Hops from the task: absent (0) for what the entry nodes generate, the parent's depth + 1 for a withNext
   * dispatch. The in-process queues serve deeper work first within a priority, which keeps a wide crawl's frontier
   * small.
   */
  depth?: number;
}

export interface ExecutionMeta {
  retryCount: number;
  taskRetryCount: number;
  profileVersion: number;
  traceId?: string;
  createdAtMs: number;
  updatedAtMs: number;
}

/** Starts a module run: the runtime calls the entry nodes' generate(). */
export interface TaskDispatchEnvelope {
  kind: 'task';
  routing: RoutingMeta;
  exec: ExecutionMeta;
  event: TaskEvent;
}

/** A request to download. */
export interface RequestDispatchEnvelope {
  kind: 'request';
  routing: RoutingMeta;
  exec: ExecutionMeta;
  request: RequestData;
}

/** A downloaded response to parse with the node named in routing.nodeKey. */
export interface ResponseDispatchEnvelope {
  kind: 'response';
  routing: RoutingMeta;
  exec: ExecutionMeta;
  response: ResponseData;
}

/** A parser's `withNext(target, input)`: call the target node's generate() with this input. */
export interface NodeDispatchEnvelope {
  kind: 'node';
  routing: RoutingMeta;
  exec: ExecutionMeta;
  targetNode: string;
  sourceNode?: string;
  input: unknown;
}

/** Error kinds of the seed's policy engine (`[policy]` overrides match on these). */
export const ERROR_KINDS = [
  'Request',
  'Response',
  'Command',
  'Service',
  'Proxy',
  'Download',
  'Queue',
  'Task',
  'Module',
  'RateLimit',
  'ProcessorChain',
  'Parser',
  'DataMiddleware',
  'DataStore',
  'CacheService',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** A failed stage, routed to error_task for the error policy to retry or dead-letter. */
export interface NodeErrorEnvelope {
  kind: 'error';
  routing: RoutingMeta;
  exec: ExecutionMeta;
  stage: Route;
  errorKind: ErrorKind;
  message: string;
  detail?: string;
  /** The envelope whose processing failed, to retry or dead-letter. */
  failed?: PipelineEnvelope;
}

export type PipelineEnvelope =
  | TaskDispatchEnvelope
  | RequestDispatchEnvelope
  | ResponseDispatchEnvelope
  | NodeDispatchEnvelope
  | NodeErrorEnvelope;

/** A message that exhausted its retries (or was not retryable), kept for listing, requeue and delete. */
export interface DeadLetterEnvelope {
  kind: 'dead_letter';
  id: string;
  namespace: string;
  sourceRoute: Route;
  sourcePriority: Priority;
  reason: string;
  errorKind: ErrorKind;
  /** Attempts made before giving up (1 = failed on the first try). */
  attempt: number;
  failedAtMs: number;
  /** Module of the failed work, for filtering. */
  module: string;
  payload: PipelineEnvelope;
}

export type Envelope = PipelineEnvelope | DeadLetterEnvelope;

import type {
  DeadLetterEnvelope,
  Envelope,
  ExecutionMeta,
  NodeDispatchEnvelope,
  NodeErrorEnvelope,
  Priority,
  RequestDispatchEnvelope,
  ResponseDispatchEnvelope,
  RoutingMeta,
  TaskDispatchEnvelope,
} from '../../src/queue/index.js';
import type { RequestData } from '../../src/request/request-data.js';

export function routing(overrides: Partial<RoutingMeta> = {}): RoutingMeta {
  return {
    namespace: 'ns1',
    account: 'acc',
    platform: 'web',
    module: 'shop',
    nodeKey: 'list',
    runId: 'run-1',
    requestId: 'req-1',
    priority: 'normal',
    ...overrides,
  };
}

export function exec(overrides: Partial<ExecutionMeta> = {}): ExecutionMeta {
  return {
    retryCount: 1,
    taskRetryCount: 0,
    profileVersion: 3,
    traceId: 'trace-9',
    createdAtMs: 1_700_000_000_000,
    updatedAtMs: 1_700_000_000_500,
    ...overrides,
  };
}

/** Every byte value, so base64 and bin encodings are exercised fully. */
export const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

export function requestData(overrides: Partial<RequestData> = {}): RequestData {
  return {
    id: 'req-1',
    url: 'http://127.0.0.1:8080/list?page=1',
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'x-ünï': 'välue' },
    params: [
      ['q', 'shoes'],
      ['q', 'boots'],
    ],
    cookies: { session: 'abc' },
    body: ALL_BYTES,
    meta: { depth: 2, tags: ['a', 'b'], nested: { ok: true, n: null } },
    sleepMs: 10,
    priority: 'high',
    timeoutMs: 5000,
    proxy: 'http://proxy:3128',
    enableSession: true,
    enableResponseCache: false,
    module: 'shop',
    account: 'acc',
    platform: 'web',
    runId: 'run-1',
    nodeKey: 'list',
    retryCount: 0,
    ...overrides,
  };
}

export function taskEnvelope(priority: Priority = 'normal'): TaskDispatchEnvelope {
  return {
    kind: 'task',
    routing: routing({ priority }),
    exec: exec(),
    event: { account: 'acc', platform: 'web', module: ['shop', 'news'], priority, runId: 'run-1' },
  };
}

export function requestEnvelope(overrides: Partial<RequestData> = {}): RequestDispatchEnvelope {
  return { kind: 'request', routing: routing(), exec: exec(), request: requestData(overrides) };
}

export function responseEnvelope(): ResponseDispatchEnvelope {
  return {
    kind: 'response',
    routing: routing({ parentRequestId: 'req-0' }),
    exec: exec(),
    response: {
      id: 'req-1',
      status: 200,
      url: 'http://127.0.0.1:8080/list?page=1',
      headers: { 'content-type': 'image/png', 'set-cookie': 'a=1\nb=2' },
      body: Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x0d, 0x0a]),
      request: requestData({ method: 'GET', body: undefined, json: { q: [1, 2, { deep: 'x' }] } }),
      elapsedMs: 12.5,
      fromCache: false,
    },
  };
}

export function nodeEnvelope(): NodeDispatchEnvelope {
  return {
    kind: 'node',
    routing: routing({ nodeKey: 'product' }),
    exec: exec(),
    targetNode: 'product',
    sourceNode: 'list',
    input: { ids: [1, 2, 3], label: 'x', raw: Uint8Array.from([1, 2, 3]), empty: {} },
  };
}

export function errorEnvelope(): NodeErrorEnvelope {
  return {
    kind: 'error',
    routing: routing(),
    exec: exec(),
    stage: 'request',
    errorKind: 'Download',
    message: 'ECONNRESET',
    detail: 'socket hang up',
    failed: requestEnvelope({ method: 'PUT', form: [['a', '1']], body: undefined }),
  };
}

export function deadLetterEnvelope(): DeadLetterEnvelope {
  return {
    kind: 'dead_letter',
    id: 'dl-1',
    namespace: 'ns1',
    sourceRoute: 'response',
    sourcePriority: 'low',
    reason: 'parser exploded',
    errorKind: 'Parser',
    attempt: 3,
    failedAtMs: 1_700_000_001_000,
    module: 'shop',
    payload: responseEnvelope(),
  };
}

export const ALL_ENVELOPES: Array<[string, () => Envelope]> = [
  ['task', taskEnvelope],
  ['request', () => requestEnvelope()],
  ['response', responseEnvelope],
  ['node', nodeEnvelope],
  ['error', errorEnvelope],
  ['dead_letter', deadLetterEnvelope],
];

/** Deterministic PRNG (mulberry32) so a failing fuzz case can be reproduced from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

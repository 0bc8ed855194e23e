import type { HttpMethod } from '../../request/request-data.js';
import {
  ERROR_KINDS,
  MAX_CRAWL_DEPTH,
  PRIORITIES,
  ROUTES,
  type Envelope,
  type PipelineEnvelope,
} from '../envelope.js';
import { EnvelopeDecodeError } from './envelope-decode.error.js';

/**
 * Hand-written structural check of a decoded envelope. The wire is untrusted (another node, another language, a
 * corrupted record), so every field the runtime reads without checking is verified here once, at the edge.
 * Paths are only built when a check fails, to keep the happy path allocation-free.
 */

type Obj = Record<string, unknown>;

const HTTP_METHODS: ReadonlySet<string> = new Set<HttpMethod>([
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
]);
const PRIORITY_SET: ReadonlySet<string> = new Set(PRIORITIES);
const ROUTE_SET: ReadonlySet<string> = new Set(ROUTES);
const ERROR_KIND_SET: ReadonlySet<string> = new Set(ERROR_KINDS);

/** `error` envelopes may carry the failed envelope, which may itself be an `error`: bound the nesting. */
const MAX_NESTING = 16;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Uint8Array) return 'bytes';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'object') return 'object';
  return typeof value;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function fail(path: string, expected: string, value: unknown): never {
  throw new EnvelopeDecodeError(path, `expected ${expected}, got ${describe(value)}`);
}

function isObj(value: unknown): value is Obj {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

function obj(parent: Obj, key: string, path: string): Obj {
  const value = parent[key];
  if (!isObj(value)) fail(join(path, key), 'object', value);
  return value;
}

function str(parent: Obj, key: string, path: string): void {
  const value = parent[key];
  if (typeof value !== 'string') fail(join(path, key), 'string', value);
}

function optStr(parent: Obj, key: string, path: string): void {
  const value = parent[key];
  if (value !== undefined && typeof value !== 'string') fail(join(path, key), 'string', value);
}

function num(parent: Obj, key: string, path: string): void {
  const value = parent[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(join(path, key), 'number', value);
}

function optNum(parent: Obj, key: string, path: string): void {
  const value = parent[key];
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
    fail(join(path, key), 'number', value);
  }
}

/** Crawl depth orders in-process queues, so it must be a small non-negative integer, never NaN or a huge value. */
function optDepth(parent: Obj, key: string, path: string): void {
  const value = parent[key];
  if (
    value !== undefined &&
    !(Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_CRAWL_DEPTH)
  ) {
    fail(join(path, key), `an integer from 0 to ${MAX_CRAWL_DEPTH}`, value);
  }
}

function optBool(parent: Obj, key: string, path: string): void {
  const value = parent[key];
  if (value !== undefined && typeof value !== 'boolean') fail(join(path, key), 'boolean', value);
}

function oneOf(parent: Obj, key: string, path: string, allowed: ReadonlySet<string>, what: string): void {
  const value = parent[key];
  if (typeof value !== 'string' || !allowed.has(value)) {
    const got = typeof value === 'string' ? `'${value}'` : describe(value);
    throw new EnvelopeDecodeError(join(path, key), `expected ${what}, got ${got}`);
  }
}

function optOneOf(parent: Obj, key: string, path: string, allowed: ReadonlySet<string>, what: string): void {
  if (parent[key] !== undefined) oneOf(parent, key, path, allowed, what);
}

function bytes(parent: Obj, key: string, path: string): void {
  const value = parent[key];
  if (!(value instanceof Uint8Array)) fail(join(path, key), 'bytes', value);
}

function stringRecord(parent: Obj, key: string, path: string): void {
  const record = obj(parent, key, path);
  for (const name in record) {
    if (typeof record[name] !== 'string')
      fail(`${join(path, key)}[${JSON.stringify(name)}]`, 'string', record[name]);
  }
}

function pairs(value: unknown, path: string): void {
  if (!Array.isArray(value)) fail(path, 'array of [string, string]', value);
  for (let i = 0; i < value.length; i++) {
    const pair: unknown = value[i];
    if (
      !Array.isArray(pair) ||
      pair.length !== 2 ||
      typeof pair[0] !== 'string' ||
      typeof pair[1] !== 'string'
    ) {
      fail(`${path}[${i}]`, '[string, string]', pair);
    }
  }
}

function checkRouting(env: Obj, base: string): void {
  const path = join(base, 'routing');
  const routing = obj(env, 'routing', base);
  str(routing, 'namespace', path);
  str(routing, 'account', path);
  str(routing, 'platform', path);
  str(routing, 'module', path);
  str(routing, 'nodeKey', path);
  str(routing, 'runId', path);
  optStr(routing, 'requestId', path);
  optStr(routing, 'parentRequestId', path);
  optDepth(routing, 'depth', path);
  oneOf(routing, 'priority', path, PRIORITY_SET, 'a priority');
}

function checkExec(env: Obj, base: string): void {
  const path = join(base, 'exec');
  const exec = obj(env, 'exec', base);
  num(exec, 'retryCount', path);
  num(exec, 'taskRetryCount', path);
  num(exec, 'profileVersion', path);
  optStr(exec, 'traceId', path);
  num(exec, 'createdAtMs', path);
  num(exec, 'updatedAtMs', path);
}

function checkRequest(request: Obj, path: string): void {
  str(request, 'id', path);
  str(request, 'url', path);
  oneOf(request, 'method', path, HTTP_METHODS, 'an HTTP method');
  stringRecord(request, 'headers', path);
  pairs(request['params'], join(path, 'params'));
  stringRecord(request, 'cookies', path);
  if (request['body'] !== undefined) bytes(request, 'body', path);
  if (request['form'] !== undefined) pairs(request['form'], join(path, 'form'));
  obj(request, 'meta', path);
  optNum(request, 'sleepMs', path);
  optOneOf(request, 'priority', path, PRIORITY_SET, 'a priority');
  optNum(request, 'timeoutMs', path);
  optStr(request, 'proxy', path);
  optBool(request, 'enableSession', path);
  optBool(request, 'enableResponseCache', path);
  optStr(request, 'module', path);
  optStr(request, 'account', path);
  optStr(request, 'platform', path);
  optStr(request, 'runId', path);
  optStr(request, 'nodeKey', path);
  optNum(request, 'retryCount', path);
}

function checkResponse(response: Obj, path: string): void {
  str(response, 'id', path);
  num(response, 'status', path);
  str(response, 'url', path);
  stringRecord(response, 'headers', path);
  bytes(response, 'body', path);
  checkRequest(obj(response, 'request', path), join(path, 'request'));
  num(response, 'elapsedMs', path);
  optBool(response, 'fromCache', path);
}

function checkTaskEvent(event: Obj, path: string): void {
  optStr(event, 'account', path);
  optStr(event, 'platform', path);
  const modules = event['module'];
  if (modules !== undefined) {
    if (!Array.isArray(modules)) fail(join(path, 'module'), 'array of string', modules);
    for (let i = 0; i < modules.length; i++) {
      if (typeof modules[i] !== 'string') fail(`${join(path, 'module')}[${i}]`, 'string', modules[i]);
    }
  }
  optOneOf(event, 'priority', path, PRIORITY_SET, 'a priority');
  optStr(event, 'runId', path);
}

/** Checks a pipeline envelope at `path` ('' for the root) and returns it typed. */
function checkPipeline(value: unknown, path: string, depth: number): PipelineEnvelope {
  if (!isObj(value)) fail(path === '' ? 'envelope' : path, 'object', value);
  if (depth > MAX_NESTING) throw new EnvelopeDecodeError(path, `nested deeper than ${MAX_NESTING} envelopes`);
  const kind = value['kind'];
  switch (kind) {
    case 'task':
    case 'request':
    case 'response':
    case 'node':
    case 'error':
      break;
    default:
      badKind(
        kind,
        join(path, 'kind'),
        path === ''
          ? 'an envelope kind (task, request, response, node, error, dead_letter)'
          : 'a pipeline kind',
      );
  }
  checkRouting(value, path);
  checkExec(value, path);
  switch (kind) {
    case 'task':
      checkTaskEvent(obj(value, 'event', path), join(path, 'event'));
      break;
    case 'request':
      checkRequest(obj(value, 'request', path), join(path, 'request'));
      break;
    case 'response':
      checkResponse(obj(value, 'response', path), join(path, 'response'));
      break;
    case 'node':
      str(value, 'targetNode', path);
      optStr(value, 'sourceNode', path);
      break;
    case 'error':
      oneOf(value, 'stage', path, ROUTE_SET, 'a route');
      oneOf(value, 'errorKind', path, ERROR_KIND_SET, 'an error kind');
      str(value, 'message', path);
      optStr(value, 'detail', path);
      if (value['failed'] !== undefined) checkPipeline(value['failed'], join(path, 'failed'), depth + 1);
      break;
  }
  return value as unknown as PipelineEnvelope;
}

function badKind(kind: unknown, path: string, expected: string): never {
  const got = typeof kind === 'string' ? `'${kind}'` : describe(kind);
  throw new EnvelopeDecodeError(path, `expected ${expected}, got ${got}`);
}

/**
 * Returns `value` typed as an Envelope if its shape is valid, else throws EnvelopeDecodeError naming the field,
 * e.g. `routing.runId: expected string, got number`.
 */
export function assertEnvelope(value: unknown): Envelope {
  if (!isObj(value)) fail('envelope', 'object', value);
  if (value['kind'] !== 'dead_letter') return checkPipeline(value, '', 0);
  str(value, 'id', '');
  str(value, 'namespace', '');
  oneOf(value, 'sourceRoute', '', ROUTE_SET, 'a route');
  oneOf(value, 'sourcePriority', '', PRIORITY_SET, 'a priority');
  str(value, 'reason', '');
  oneOf(value, 'errorKind', '', ERROR_KIND_SET, 'an error kind');
  num(value, 'attempt', '');
  num(value, 'failedAtMs', '');
  str(value, 'module', '');
  checkPipeline(value['payload'], 'payload', 1);
  return value as unknown as Envelope;
}

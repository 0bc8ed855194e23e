import { PRIORITIES, ROUTES } from '../queue/envelope.js';
import { DLQ_DEFAULT_PAGE, DLQ_MAX_PAGE } from './dlq-query.dto.js';
import { MOCRA_VERSION } from './mocra-version.js';

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json, description: string): Json => ({
  description,
  content: { 'application/json': { schema } },
});
const error = (description: string): Json => json(ref('Error'), description);
const PROTECTED = [{ bearer: [] }, { apiKey: [] }];
const AUTH_ERRORS: Json = {
  '401': error('missing or wrong API key'),
  '403': error('no [api] api_key configured: the control API is locked'),
};
const pathParam = (name: string, description: string): Json => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description,
});
const op = (summary: string, responses: Json, extra: Json = {}): Json => ({
  summary,
  security: PROTECTED,
  ...extra,
  responses: { ...responses, ...AUTH_ERRORS },
});

/**
 * The OpenAPI 3.1 description of the control plane, served at `GET /docs-json`. Written by hand (no
 * @nestjs/swagger dependency); a test checks that every route the controllers declare is described here.
 */
export function mocraOpenApiDocument(): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'mocra control API',
      version: MOCRA_VERSION,
      description:
        'Health, metrics and the authenticated control plane of a mocra node. Protected routes need ' +
        '`Authorization: Bearer <api_key>` or `x-api-key: <api_key>`; without a configured key they answer 403.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      },
      schemas: {
        Error: {
          type: 'object',
          properties: {
            statusCode: { type: 'integer' },
            message: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
            error: { type: 'string' },
          },
        },
        TaskEvent: {
          type: 'object',
          additionalProperties: false,
          properties: {
            account: { type: 'string', minLength: 1, maxLength: 200 },
            platform: { type: 'string', minLength: 1, maxLength: 200 },
            module: {
              type: 'array',
              items: { type: 'string' },
              description: 'none or empty = every enabled module',
            },
            priority: { enum: [...PRIORITIES] },
            runId: { type: 'string', pattern: '^[\\w.:-]+$', maxLength: 128 },
          },
        },
        DispatchAccepted: {
          type: 'object',
          properties: { runId: { type: 'string' }, modules: { type: 'array', items: { type: 'string' } } },
        },
        ModuleSettings: {
          type: 'object',
          properties: {
            enabled: { type: 'boolean' },
            rateLimit: { type: 'number', description: 'requests per second, 0 = no limit' },
            concurrency: { type: 'integer' },
            priority: { enum: [...PRIORITIES] },
            timeoutMs: { type: 'integer' },
            cron: { type: 'string' },
            responseCacheEnabled: { type: 'boolean' },
            responseCacheTtlSecs: { type: 'integer' },
          },
        },
        Module: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            className: { type: 'string' },
            account: { type: 'string' },
            platform: { type: 'string' },
            settings: ref('ModuleSettings'),
            dag: { type: 'object' },
          },
        },
        ModulePatch: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            enabled: { type: 'boolean' },
            rate_limit: { type: 'number', minimum: 0 },
            concurrency: { type: 'integer', minimum: 1 },
            priority: { enum: [...PRIORITIES] },
            cron: { type: ['string', 'null'], description: 'six-field cron; null removes the schedule' },
          },
        },
        RunSummary: {
          type: 'object',
          description: 'pages, items, errors, retries, deadLettered, requests, bytes, ...',
        },
        DeadLetter: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            sourceRoute: { enum: [...ROUTES] },
            sourcePriority: { enum: [...PRIORITIES] },
            module: { type: 'string' },
            reason: { type: 'string' },
            errorKind: { type: 'string' },
            attempt: { type: 'integer' },
            failedAtMs: { type: 'integer' },
            payload: { type: 'object', description: 'the failed envelope; byte arrays as {base64, bytes}' },
          },
        },
      },
    },
    paths: {
      '/health': {
        get: {
          summary: 'Component health (queue, cache, raft when configured)',
          responses: {
            '200': json({ type: 'object' }, 'every component is up'),
            '503': json({ type: 'object' }, 'a component is down; `error` names it'),
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (text exposition format)',
          responses: {
            '200': { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } },
          },
        },
      },
      '/docs-json': {
        get: { summary: 'This document', responses: { '200': json({ type: 'object' }, 'OpenAPI') } },
      },
      '/tasks/dispatch': {
        post: op(
          'Start a run',
          {
            '202': json(ref('DispatchAccepted'), 'accepted; follow it at /debug/status/runs/{runId}'),
            '400': error('invalid body or unknown module (named in the message)'),
            '409': error('a run with this runId is active'),
            '413': error('body larger than [api] body_limit'),
          },
          { requestBody: { required: false, content: { 'application/json': { schema: ref('TaskEvent') } } } },
        ),
      },
      '/cluster/nodes': {
        get: op('Nodes of the cluster (this node alone without Raft)', {
          '200': json({ type: 'array', items: { type: 'object' } }, 'nodes'),
        }),
      },
      '/cluster/leader': {
        get: op('The leader', {
          '200': json({ type: 'object' }, '{mode, leaderId, leaderAddr, isLocalLeader}'),
          '503': error('Raft has no leader'),
        }),
      },
      '/config/modules': {
        get: op('Registered modules with their runtime settings', {
          '200': json({ type: 'array', items: ref('Module') }, 'modules'),
        }),
      },
      '/config/modules/{name}': {
        get: op(
          'One module',
          { '200': json(ref('Module'), 'module'), '404': error('unknown module') },
          { parameters: [pathParam('name', 'module name')] },
        ),
        patch: op(
          'Change settings of the running crawl (no restart)',
          {
            '200': json(ref('Module'), 'module after the change'),
            '400': error('invalid body'),
            '404': error('unknown module'),
          },
          {
            parameters: [pathParam('name', 'module name')],
            requestBody: { required: true, content: { 'application/json': { schema: ref('ModulePatch') } } },
          },
        ),
      },
      '/debug/status': {
        get: op('Engine counters, active and recently finished runs', {
          '200': json({ type: 'object' }, '{nodeId, stats, activeRuns, recentRuns}'),
        }),
      },
      '/debug/status/cluster': {
        get: op('Every live member: counters and active runs (with [raft]; else this process)', {
          '200': json({ type: 'array', items: { type: 'object' } }, '[{nodeId, at, stats, activeRuns}]'),
        }),
      },
      '/debug/status/stages': {
        get: op('Per pipeline route: waiting messages by priority and in flight', {
          '200': json({ type: 'array', items: { type: 'object' } }, 'stages'),
        }),
      },
      '/debug/status/runs/{runId}': {
        get: op(
          'One run, active or recently finished',
          {
            '200': json(
              {
                type: 'object',
                properties: { state: { enum: ['active', 'finished'] }, run: ref('RunSummary') },
              },
              'run',
            ),
            '404': error('unknown run'),
          },
          { parameters: [pathParam('runId', 'run id')] },
        ),
      },
      '/dlq/messages': {
        get: op(
          'Dead letters, newest first',
          {
            '200': json(
              {
                type: 'object',
                properties: {
                  items: { type: 'array', items: ref('DeadLetter') },
                  total: { type: 'integer' },
                  offset: { type: 'integer' },
                  limit: { type: 'integer' },
                },
              },
              'page',
            ),
            '400': error('invalid query'),
          },
          {
            parameters: [
              { name: 'route', in: 'query', schema: { enum: [...ROUTES] } },
              { name: 'module', in: 'query', schema: { type: 'string' } },
              {
                name: 'reason',
                in: 'query',
                schema: { type: 'string' },
                description: 'substring of the reason',
              },
              { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
              {
                name: 'limit',
                in: 'query',
                schema: { type: 'integer', default: DLQ_DEFAULT_PAGE },
                description: `clamped to 1..${DLQ_MAX_PAGE}`,
              },
            ],
          },
        ),
      },
      '/dlq/messages/{id}': {
        get: op(
          'One dead letter',
          { '200': json(ref('DeadLetter'), 'dead letter'), '404': error('unknown id') },
          { parameters: [pathParam('id', 'dead letter id')] },
        ),
        delete: op(
          'Delete a dead letter',
          { '204': { description: 'deleted' }, '404': error('unknown id') },
          { parameters: [pathParam('id', 'dead letter id')] },
        ),
      },
      '/dlq/messages/{id}/requeue': {
        post: op(
          'Republish to its source route (attempt reset) and delete it',
          { '202': json({ type: 'object' }, 'requeued'), '404': error('unknown id') },
          { parameters: [pathParam('id', 'dead letter id')] },
        ),
      },
      '/control/pause': {
        post: op('Stop deliveries (in-flight work finishes)', {
          '200': json({ type: 'object' }, '{paused: true}'),
        }),
      },
      '/control/resume': {
        post: op('Resume deliveries', { '200': json({ type: 'object' }, '{paused: false}') }),
      },
    },
  };
}

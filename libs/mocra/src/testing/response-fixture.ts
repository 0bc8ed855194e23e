import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HttpMethod, RequestData, ResponseData } from '../request/request-data.js';
import { requestFingerprint } from '../request/request-fingerprint.js';

/** Version tag of the fixture file format, so a future change can still read old folders. */
export const RESPONSE_FIXTURE_FORMAT = 'mocra-response-fixture/1';

/** A request as stored in a fixture: RequestData with its raw body (if any) as base64. */
export type FixtureRequest = Omit<RequestData, 'body'> & { bodyBase64?: string };

/** The JSON content of `<dir>/<fingerprint>.json`. */
export interface ResponseFixtureFile {
  format: typeof RESPONSE_FIXTURE_FORMAT;
  /** requestFingerprint of the request without its run id, which is also the file name. */
  fingerprint: string;
  recordedAt: string;
  status: number;
  /** Final URL after redirects. */
  url: string;
  headers: Record<string, string>;
  bodyBase64: string;
  elapsedMs: number;
  request: FixtureRequest;
}

export interface ResponseFixture {
  file: ResponseFixtureFile;
  /** The stored response as the runtime's ResponseData (body decoded from base64). */
  response: ResponseData;
}

/**
 * Key of a request in a fixture folder. The run id is left out: every run gets a new one, and a fixture recorded
 * yesterday must answer today's identical request.
 */
export function fixtureFingerprint(req: RequestData): string {
  return requestFingerprint({ ...req, runId: undefined });
}

export function fixturePath(dir: string, req: RequestData): string {
  return join(dir, `${fixtureFingerprint(req)}.json`);
}

// Request meta is free-form: a bigint would make JSON.stringify throw and lose the whole fixture.
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

export function serialiseResponseFixture(res: ResponseData, recordedAt = new Date()): string {
  const { body: requestBody, ...request } = res.request;
  const file: ResponseFixtureFile = {
    format: RESPONSE_FIXTURE_FORMAT,
    fingerprint: fixtureFingerprint(res.request),
    recordedAt: recordedAt.toISOString(),
    status: res.status,
    url: res.url,
    headers: res.headers,
    bodyBase64: Buffer.from(res.body).toString('base64'),
    elapsedMs: res.elapsedMs,
    request: {
      ...request,
      ...(requestBody === undefined ? {} : { bodyBase64: Buffer.from(requestBody).toString('base64') }),
    },
  };
  return JSON.stringify(file, jsonSafe, 2) + '\n';
}

/** Why `value` is not a fixture file, or undefined when it is one. */
function fixtureProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not a JSON object';
  const v = value as Record<string, unknown>;
  if (v['format'] !== RESPONSE_FIXTURE_FORMAT) {
    return `"format" is ${JSON.stringify(v['format'])}, expected "${RESPONSE_FIXTURE_FORMAT}"`;
  }
  if (typeof v['status'] !== 'number') return '"status" must be a number';
  if (typeof v['url'] !== 'string') return '"url" must be a string';
  if (typeof v['bodyBase64'] !== 'string') return '"bodyBase64" must be a string';
  const headers = v['headers'];
  if (
    typeof headers !== 'object' ||
    headers === null ||
    Object.values(headers).some((h) => typeof h !== 'string')
  ) {
    return '"headers" must be an object of strings';
  }
  const request = v['request'];
  if (typeof request !== 'object' || request === null) return '"request" must be an object';
  const r = request as Record<string, unknown>;
  if (typeof r['url'] !== 'string' || typeof r['method'] !== 'string')
    return '"request" needs url and method';
  return undefined;
}

/** Parses fixture text; throws an Error naming `source` and what is wrong. */
export function parseResponseFixture(text: string, source: string): ResponseFixture {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`response fixture ${source}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const problem = fixtureProblem(value);
  if (problem) throw new Error(`response fixture ${source}: ${problem}`);
  const file = value as ResponseFixtureFile;
  const { bodyBase64, ...storedRequest } = file.request;
  const request: RequestData = {
    ...storedRequest,
    id: storedRequest.id ?? 'fixture',
    method: storedRequest.method as HttpMethod,
    headers: storedRequest.headers ?? {},
    params: storedRequest.params ?? [],
    cookies: storedRequest.cookies ?? {},
    meta: storedRequest.meta ?? {},
    ...(bodyBase64 === undefined ? {} : { body: Buffer.from(bodyBase64, 'base64') }),
  };
  return {
    file,
    response: {
      id: request.id,
      status: file.status,
      url: file.url,
      headers: { ...file.headers },
      body: Buffer.from(file.bodyBase64, 'base64'),
      request,
      elapsedMs: typeof file.elapsedMs === 'number' ? file.elapsedMs : 0,
    },
  };
}

export function readResponseFixture(path: string): ResponseFixture {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`response fixture ${path}: cannot read it (${(err as Error).message})`, { cause: err });
  }
  return parseResponseFixture(text, path);
}

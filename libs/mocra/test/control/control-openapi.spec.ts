import 'reflect-metadata';
import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { describe, expect, it } from 'vitest';
import { MocraControlModule } from '../../src/control/index.js';
import { mocraOpenApiDocument } from '../../src/control/openapi.document.js';

function join(...parts: string[]): string {
  const path = parts
    .flatMap((p) => p.split('/'))
    .filter((p) => p.length > 0)
    .map((p) => (p.startsWith(':') ? `{${p.slice(1)}}` : p))
    .join('/');
  return `/${path}`;
}

/** Every "METHOD /path" the control module's controllers declare, read from Nest's route metadata. */
function declaredRoutes(): string[] {
  const controllers = (Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, MocraControlModule) ?? []) as Type[];
  const routes: string[] = [];
  for (const controller of controllers) {
    const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler: unknown = Object.getOwnPropertyDescriptor(controller.prototype, name)?.value;
      if (typeof handler !== 'function' || name === 'constructor') continue;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) continue;
      routes.push(
        `${RequestMethod[method]} ${join(base, String(Reflect.getMetadata(PATH_METADATA, handler) ?? ''))}`,
      );
    }
  }
  return routes.sort();
}

describe('OpenAPI document of the control plane', () => {
  it('describes exactly the routes the controllers declare, plus /metrics', () => {
    const doc = mocraOpenApiDocument() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const declared = declaredRoutes();
    expect(declared.length).toBeGreaterThan(10);
    expect(documented).toEqual([...declared, 'GET /metrics'].sort());
  });

  it('marks every route except /health, /metrics and /docs-json as needing the API key', () => {
    const doc = mocraOpenApiDocument() as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const open = ['/health', '/metrics', '/docs-json'].includes(path);
        expect(op.security === undefined, `${method} ${path}`).toBe(open);
      }
    }
  });
});

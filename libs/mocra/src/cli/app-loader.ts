import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DynamicModule, Type } from '@nestjs/common';
import { UsageError } from './cli-io.js';

/** A Nest root module to boot: a module class or a dynamic module. */
export type AppModuleRef = Type<unknown> | DynamicModule;

export interface AppSource {
  module: AppModuleRef;
  /** How the report names the app, e.g. `dist/src/app.module.js#AppModule.register`. */
  label: string;
}

export interface AppSpec {
  file: string;
  exportName: string;
  /** A static factory method on the export (e.g. `register`), called with the app options. */
  method: string | undefined;
}

/** `file.js`, `file.js#Export` or `file.js#Export.method`; the export defaults to AppModule, then default. */
export function parseAppSpec(spec: string): AppSpec {
  const hash = spec.lastIndexOf('#');
  const file = hash < 0 ? spec : spec.slice(0, hash);
  const target = hash < 0 ? '' : spec.slice(hash + 1);
  if (file.length === 0) throw new UsageError(`--app ${JSON.stringify(spec)}: no file before "#"`);
  const [exportName = '', method, ...rest] = target.split('.');
  if (rest.length > 0 || (hash >= 0 && exportName.length === 0) || method === '') {
    throw new UsageError(
      `--app ${JSON.stringify(spec)}: expected file.js, file.js#Export or file.js#Export.method`,
    );
  }
  return { file, exportName, method };
}

/** Parses `--app-options`: a JSON object. */
export function parseAppOptions(json: string | undefined): Record<string, unknown> {
  if (json === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new UsageError(`--app-options is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError('--app-options must be a JSON object, e.g. \'{"output":"out.jsonl"}\'');
  }
  return value as Record<string, unknown>;
}

function isModuleRef(value: unknown): value is AppModuleRef {
  return (
    typeof value === 'function' ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as { module?: unknown }).module === 'function')
  );
}

/**
 * Imports the app's compiled module file and returns its root module. A factory (`#AppModule.register`) is called
 * with `{ config, ...appOptions }`: `config` is the --config path (absolute) unless the options set it.
 */
export async function loadApp(
  spec: string,
  opts: { cwd: string; config?: string; appOptions?: Record<string, unknown> },
): Promise<AppSource> {
  const parsed = parseAppSpec(spec);
  const file = resolve(opts.cwd, parsed.file);
  if (!existsSync(file)) throw new UsageError(`--app: file not found: ${file} (build the app first?)`);
  const exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const names = parsed.exportName ? [parsed.exportName] : ['AppModule', 'default'];
  const name = names.find((n) => exports[n] !== undefined);
  if (name === undefined) {
    const available = Object.keys(exports).join(', ') || '(none)';
    throw new UsageError(
      `--app ${spec}: ${file} has no export ${names.join(' or ')} (exports: ${available})`,
    );
  }
  const exported = exports[name];
  const appOptions = opts.appOptions ?? {};
  let module: unknown = exported;
  if (parsed.method !== undefined) {
    const factory = (exported as Record<string, unknown> | undefined)?.[parsed.method];
    if (typeof factory !== 'function') {
      throw new UsageError(`--app ${spec}: ${name}.${parsed.method} is not a function`);
    }
    const args = {
      ...(opts.config === undefined ? {} : { config: resolve(opts.cwd, opts.config) }),
      ...appOptions,
    };
    module = await (factory as (o: unknown) => unknown).call(exported, args);
  } else if (Object.keys(appOptions).length > 0) {
    throw new UsageError('--app-options needs a factory in --app, e.g. file.js#AppModule.register');
  }
  if (!isModuleRef(module)) {
    throw new UsageError(`--app ${spec}: ${name} is not a Nest module class or dynamic module`);
  }
  return { module, label: spec };
}

import type { ModuleMetadata, Provider } from '@nestjs/common';
import type { TestingModule, TestingModuleBuilder } from '@nestjs/testing';
import { loadConfig } from '../config/config.loader.js';
import { MOCRA_CONFIG } from '../mocra.tokens.js';

export interface NodeTestingModuleOptions {
  /** Nodes under test and the services they inject (real ones, or `{ provide, useValue }` stand-ins). */
  providers?: Provider[];
  imports?: ModuleMetadata['imports'];
  /**
   * A mocra config (object or TOML path): provided as MOCRA_CONFIG for nodes that `@InjectMocraConfig()`,
   * without starting the runtime. Leave it out when `imports` bring MocraModule themselves.
   */
  config?: string | Record<string, unknown>;
  /** Last changes to the builder before compiling, e.g. `(b) => b.overrideProvider(Api).useValue(fake)`. */
  configure?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
}

/**
 * Compiles a Nest testing module holding the nodes and their real providers, so a test gets a node with its
 * dependencies injected (`module.get(ListNode)`). Close it with `module.close()`.
 * Needs `@nestjs/testing` (a dev dependency of the app).
 */
export async function createNodeTestingModule(
  options: NodeTestingModuleOptions = {},
): Promise<TestingModule> {
  let testing: typeof import('@nestjs/testing');
  try {
    testing = await import('@nestjs/testing');
  } catch (err) {
    throw new Error('createNodeTestingModule needs @nestjs/testing: npm install -D @nestjs/testing', {
      cause: err,
    });
  }
  const providers: Provider[] = [...(options.providers ?? [])];
  if (options.config !== undefined) {
    providers.push({ provide: MOCRA_CONFIG, useValue: loadConfig(options.config) });
  }
  let builder = testing.Test.createTestingModule({ imports: options.imports ?? [], providers });
  if (options.configure) builder = options.configure(builder);
  return builder.compile();
}

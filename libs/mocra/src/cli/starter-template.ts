/**
 * The files of a project made by `mocra new`. Versions follow the ones mocra-ts itself is built and tested with,
 * so a fresh starter installs the same toolchain (Nest 12, TypeScript 5.9, vitest 4 with SWC for decorators).
 */
export interface StarterOptions {
  /** npm package name of the project; also the config's namespace. */
  name: string;
  /** Dependency spec of @mocra/core, e.g. "^0.1.0" or "file:../mocra-core-0.1.0.tgz". */
  coreSpec: string;
}

export const STARTER_VERSIONS = {
  '@nestjs/common': '^12.5.1',
  '@nestjs/core': '^12.5.1',
  '@nestjs/testing': '^12.1.1',
  '@swc/core': '^1.16.22',
  '@types/node': '^20.19.43',
  'reflect-metadata': '^0.2.2',
  rxjs: '^7.8.2',
  typescript: '~5.9.3',
  'unplugin-swc': '^2.0.0',
  vitest: '^4.1.12',
} as const;

function packageJson(opts: StarterOptions): string {
  const v = STARTER_VERSIONS;
  const app = 'dist/app.module.js#AppModule.register';
  const pkg = {
    name: opts.name,
    version: '0.1.0',
    private: true,
    type: 'module',
    engines: { node: '>=20.11' },
    scripts: {
      build: 'tsc -p tsconfig.json',
      start: 'npm run build && node dist/main.js',
      test: 'vitest run',
      check: `npm run build && mocra check --config mocra.toml --app ${app}`,
      dag: `npm run build && mocra dag --config mocra.toml --app ${app}`,
    },
    dependencies: {
      '@mocra/core': opts.coreSpec,
      '@nestjs/common': v['@nestjs/common'],
      '@nestjs/core': v['@nestjs/core'],
      'reflect-metadata': v['reflect-metadata'],
      rxjs: v.rxjs,
    },
    devDependencies: {
      '@nestjs/testing': v['@nestjs/testing'],
      '@swc/core': v['@swc/core'],
      '@types/node': v['@types/node'],
      typescript: v.typescript,
      'unplugin-swc': v['unplugin-swc'],
      vitest: v.vitest,
    },
  };
  return JSON.stringify(pkg, null, 2) + '\n';
}

const TSCONFIG = `{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2023"],
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "experimentalDecorators": true,
    "emitDecoratorMetadata": true,
    "useDefineForClassFields": false,
    "skipLibCheck": true,
    "sourceMap": true,
    "types": ["node"],
    "outDir": "dist",
    "rootDir": "src"
  },
  "include": ["src"]
}
`;

const VITEST_CONFIG = `import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// SWC (not esbuild) compiles the tests: Nest dependency injection needs emitDecoratorMetadata.
export default defineConfig({
  plugins: [
    swc.vite({
      jsc: {
        target: 'es2022',
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      },
    }),
  ],
  test: {
    include: ['test/**/*.spec.ts'],
  },
});
`;

function mocraToml(opts: StarterOptions): string {
  return `# mocra configuration: every key but "name" has a default. Check it with \`npm run check\`.
name = "${opts.name}"

[crawler]
request_max_retries = 3

[modules.pages.settings]
start_url = "https://example.com/"
max_links = 20
`;
}

const GITIGNORE = `node_modules/
dist/
output/
fixtures/
`;

const MAIN_TS = `import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { MocraService } from '@mocra/core';
import { AppModule } from './app.module.js';

// node dist/main.js [config.toml]: runs one crawl of every module and exits.
const config = process.argv[2] ?? 'mocra.toml';
const app = await NestFactory.createApplicationContext(AppModule.register({ config }));
app.enableShutdownHooks();
const run = await app.get(MocraService).dispatch();
const summary = await run.finished;
console.log(\`pages=\${summary.pages} items=\${summary.items} errors=\${summary.errors} dlq=\${summary.deadLettered}\`);
await app.close();
`;

const APP_MODULE_TS = `import { Module, type DynamicModule } from '@nestjs/common';
import { JsonlStore, MocraModule } from '@mocra/core';
import { ListNode } from './pages/list.node.js';
import { PageNode } from './pages/page.node.js';
import { PagesModule } from './pages/pages.module.js';

export interface AppOptions {
  /** A TOML path or a config object. */
  config: string | Record<string, unknown>;
  /** Where items are written as JSON lines. Default output/items.jsonl. */
  output?: string;
}

@Module({})
export class AppModule {
  static register(options: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [MocraModule.forRoot({ config: options.config })],
      providers: [
        PagesModule,
        ListNode,
        PageNode,
        JsonlStore.provider({ path: options.output ?? 'output/items.jsonl', truncate: true }),
      ],
    };
  }
}
`;

const PAGES_MODULE_TS = `import { CrawlerModule } from '@mocra/core';
import { ListNode } from './list.node.js';
import { PageNode } from './page.node.js';

/** Reads the start page, then every same-site page it links to; one item per page. */
@CrawlerModule({ name: 'pages', nodes: [ListNode, PageNode], concurrency: 8, storeMiddleware: ['jsonl'] })
export class PagesModule {}
`;

const LIST_NODE_TS = `import {
  Next,
  Node,
  ParseOutput,
  Request,
  type CrawlerNode,
  type GenerateContext,
  type ParseContext,
} from '@mocra/core';
import type { Response } from '@mocra/core';

export interface PageInput {
  url: string;
}

/** The start page: dispatches its same-site links (at most settings.max_links) to the "page" node. */
@Node('list', { entry: true })
@Next('page')
export class ListNode implements CrawlerNode<PageInput> {
  generate(ctx: GenerateContext<PageInput>): Request {
    return Request.get(ctx.input?.url ?? String(ctx.config['start_url']));
  }

  parse(res: Response, ctx: ParseContext): ParseOutput {
    const out = new ParseOutput();
    const origin = new URL(res.url).origin;
    const max = Number(ctx.config['max_links'] ?? 20);
    for (const url of res.links('a[href]').filter((u) => new URL(u).origin === origin).slice(0, max)) {
      out.withNext('page', { url });
    }
    return out;
  }
}
`;

const PAGE_NODE_TS = `import { Node, ParseOutput, Request, type CrawlerNode, type GenerateContext } from '@mocra/core';
import type { Response } from '@mocra/core';
import type { PageInput } from './list.node.js';

export interface PageItem {
  url: string;
  title: string;
  heading: string;
}

/** A linked page: emits its title and first heading. */
@Node('page')
export class PageNode implements CrawlerNode<PageInput> {
  generate(ctx: GenerateContext<PageInput>): Request | null {
    return ctx.input ? Request.get(ctx.input.url) : null;
  }

  parse(res: Response): ParseOutput<PageItem> {
    const $ = res.$;
    return new ParseOutput<PageItem>().withData({
      url: res.url,
      title: $('title').first().text().trim(),
      heading: $('h1').first().text().trim(),
    });
  }
}
`;

const NODES_SPEC_TS = `import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import {
  createGenerateContext,
  createNodeTestingModule,
  expectData,
  expectNext,
  responseFromHtml,
  runGenerate,
  runParse,
} from '@mocra/core/testing';
import { ListNode } from '../src/pages/list.node.js';
import { PageNode, type PageItem } from '../src/pages/page.node.js';

describe('ListNode', () => {
  it('starts at the configured start_url', async () => {
    const ctx = createGenerateContext({ config: { start_url: 'https://shop.test/' } });
    const requests = await runGenerate(new ListNode(), ctx);
    expect(requests.map((r) => r.url)).toEqual(['https://shop.test/']);
  });

  it('dispatches same-site links to the page node', async () => {
    const res = responseFromHtml('<a href="/a">A</a> <a href="https://elsewhere.test/b">B</a>', {
      url: 'https://shop.test/',
    });
    const out = await runParse(new ListNode(), res);
    expect(expectNext(out, 'page')).toEqual([{ url: 'https://shop.test/a' }]);
  });
});

describe('PageNode', () => {
  it('emits the title and heading of a page', async () => {
    const module = await createNodeTestingModule({ providers: [PageNode] });
    const node = module.get(PageNode);
    const res = responseFromHtml('<title> Shop </title><h1>Welcome</h1>', { url: 'https://shop.test/a' });
    const [item] = expectData<PageItem>(await runParse(node, res), 1);
    expect(item).toEqual({ url: 'https://shop.test/a', title: 'Shop', heading: 'Welcome' });
    await module.close();
  });
});
`;

function readme(opts: StarterOptions): string {
  return `# ${opts.name}

A crawler built on [mocra](https://www.npmjs.com/package/@mocra/core) and NestJS.

\`\`\`sh
npm install
npm test          # node tests with @mocra/core/testing, no network
npm run check     # validates mocra.toml and compiles the crawler's DAG
npm run dag       # prints the DAG as text and Mermaid
npm start         # crawls [modules.pages.settings] start_url, items in output/items.jsonl
\`\`\`
`;
}

/** Relative path -> content of every file of the starter. */
export function starterFiles(opts: StarterOptions): Record<string, string> {
  return {
    'package.json': packageJson(opts),
    'tsconfig.json': TSCONFIG,
    'vitest.config.ts': VITEST_CONFIG,
    'mocra.toml': mocraToml(opts),
    '.gitignore': GITIGNORE,
    'README.md': readme(opts),
    'src/main.ts': MAIN_TS,
    'src/app.module.ts': APP_MODULE_TS,
    'src/pages/pages.module.ts': PAGES_MODULE_TS,
    'src/pages/list.node.ts': LIST_NODE_TS,
    'src/pages/page.node.ts': PAGE_NODE_TS,
    'test/nodes.spec.ts': NODES_SPEC_TS,
  };
}

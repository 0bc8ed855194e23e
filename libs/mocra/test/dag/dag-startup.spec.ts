import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import type { Type } from '@nestjs/common';
import {
  CrawlerModule,
  MocraModule,
  Next,
  Node,
  ParseOutput,
  Request,
  type CrawlerNode,
  type MocraService,
} from '@mocra/core';
import { describe, expect, it } from 'vitest';

class BaseNode implements CrawlerNode {
  generate(): Request {
    return Request.get('http://127.0.0.1:1/');
  }
  parse(): ParseOutput {
    return new ParseOutput();
  }
}

async function boot(providers: Type<unknown>[]): Promise<unknown> {
  const moduleRef = await Test.createTestingModule({
    imports: [MocraModule.forRoot({ config: { name: 'dagtest' } })],
    providers,
  }).compile();
  await moduleRef.init();
  return moduleRef;
}

async function bootError(providers: Type<unknown>[]): Promise<string> {
  try {
    const ref = (await boot(providers)) as { close(): Promise<void> };
    await ref.close();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  throw new Error('startup succeeded but an error was expected');
}

describe('DAG compilation at startup', () => {
  it('rejects an unknown edge target, naming module and node', async () => {
    @Node('a')
    @Next('missing')
    class A extends BaseNode {}
    @CrawlerModule({ name: 'shop', nodes: [A] })
    class Shop {}
    const message = await bootError([Shop, A]);
    expect(message).toContain('module "shop"');
    expect(message).toContain('node "a"');
    expect(message).toContain('"missing"');
  });

  it('rejects a duplicate node key, naming module, key and both classes', async () => {
    @Node('same')
    class First extends BaseNode {}
    @Node('same')
    class Second extends BaseNode {}
    @CrawlerModule({ name: 'dups', nodes: [First, Second] })
    class Dups {}
    const message = await bootError([Dups, First, Second]);
    expect(message).toContain('module "dups"');
    expect(message).toContain('"same"');
    expect(message).toContain('First');
    expect(message).toContain('Second');
  });

  it('rejects a DAG with no entry node', async () => {
    @Node('x')
    @Next('y')
    class X extends BaseNode {}
    @Node('y')
    @Next('x')
    class Y extends BaseNode {}
    @CrawlerModule({ name: 'loop', nodes: [X, Y] })
    class Loop {}
    const message = await bootError([Loop, X, Y]);
    expect(message).toContain('module "loop"');
    expect(message).toContain('no entry node');
  });

  it('accepts a cycle once a node is marked as entry, and a linear chain from the nodes order', async () => {
    @Node('x', { entry: true })
    @Next('y')
    class X extends BaseNode {}
    @Node('y')
    @Next('x')
    class Y extends BaseNode {}
    @CrawlerModule({ name: 'loop', nodes: [X, Y] })
    class Loop {}
    @Node('first')
    class First extends BaseNode {}
    @Node('second')
    class Second extends BaseNode {}
    @CrawlerModule({ name: 'chain', nodes: [First, Second] })
    class Chain {}
    const ref = (await boot([Loop, X, Y, Chain, First, Second])) as {
      get<T>(t: unknown): T;
      close(): Promise<void>;
    };
    const { MocraService: Service } = await import('@mocra/core');
    const mocra = ref.get<MocraService>(Service);
    expect(mocra.dag('loop')?.entries).toEqual(['x']);
    const chain = mocra.dag('chain')!;
    expect(chain.mode).toBe('linear');
    expect(chain.entries).toEqual(['first']);
    expect([...chain.nodes.get('first')!.next]).toEqual(['second']);
    expect([...chain.nodes.get('second')!.next]).toEqual([]);
    await ref.close();
  });

  it('rejects a node class that is listed but not provided, and unknown middleware names', async () => {
    @Node('n')
    class N extends BaseNode {}
    @CrawlerModule({ name: 'orphan', nodes: [N] })
    class Orphan {}
    expect(await bootError([Orphan])).toContain('node class N is listed in "nodes" but is not a provider');
    @CrawlerModule({ name: 'needsmw', nodes: [N], storeMiddleware: ['nope'] })
    class NeedsMw {}
    const message = await bootError([NeedsMw, N]);
    expect(message).toContain('module "needsmw"');
    expect(message).toContain('store middleware "nope" is not registered');
  });
});

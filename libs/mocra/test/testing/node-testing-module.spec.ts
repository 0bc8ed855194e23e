import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import type { MocraConfig } from '../../src/config/mocra-config.js';
import { Node } from '../../src/decorators/node.decorator.js';
import type { GenerateContext } from '../../src/engine/crawl-context.js';
import type { CrawlerNode } from '../../src/engine/crawler-node.interface.js';
import { InjectMocraConfig } from '../../src/mocra.tokens.js';
import { ParseOutput } from '../../src/parser/parse-output.js';
import { Request } from '../../src/request/request.js';
import type { Response } from '../../src/request/response.js';
import {
  createGenerateContext,
  createNodeTestingModule,
  expectData,
  responseFromHtml,
  runGenerate,
  runParse,
} from '../../src/testing/index.js';

@Injectable()
class PriceParser {
  cents(text: string): number {
    return Math.round(Number(text.replace(/[^0-9.]/g, '')) * 100);
  }
}

@Node('product')
class ProductNode implements CrawlerNode<{ id: number }> {
  constructor(
    private readonly prices: PriceParser,
    @InjectMocraConfig() private readonly config: MocraConfig,
  ) {}

  generate(ctx: GenerateContext<{ id: number }>) {
    return Request.get(`https://${this.config.name}.test/p/${ctx.input?.id ?? 0}`);
  }

  parse(res: Response) {
    return new ParseOutput().withData({ cents: this.prices.cents(res.$('.price').text()) });
  }
}

describe('createNodeTestingModule', () => {
  it('builds the node with its real providers and the given mocra config', async () => {
    const module = await createNodeTestingModule({
      providers: [ProductNode, PriceParser],
      config: { name: 'shop' },
    });
    const node = module.get(ProductNode);
    const [req] = await runGenerate(node, createGenerateContext({ input: { id: 7 } }));
    expect(req?.url).toBe('https://shop.test/p/7');
    const out = await runParse(
      node,
      responseFromHtml('<span class="price">$12.34</span>', { url: req!.url }),
    );
    expect(expectData(out, 1)).toEqual([{ cents: 1234 }]);
    await module.close();
  });

  it('lets a test replace a provider before compiling', async () => {
    const module = await createNodeTestingModule({
      providers: [ProductNode, PriceParser],
      config: { name: 'shop' },
      configure: (b) => b.overrideProvider(PriceParser).useValue({ cents: () => -1 }),
    });
    const out = await runParse(
      module.get(ProductNode),
      responseFromHtml('<b>x</b>', { url: 'https://shop.test/' }),
    );
    expect(out.data).toEqual([{ cents: -1 }]);
    await module.close();
  });

  it('reports an invalid config the way startup would', async () => {
    await expect(
      createNodeTestingModule({
        providers: [PriceParser],
        config: { name: 'shop', crawler: { dedup: 'yes' } },
      }),
    ).rejects.toThrow(/crawler\.dedup/);
  });
});

import {
  InjectMocraConfig,
  MocraService,
  Next,
  Node,
  ParseOutput,
  Request,
  type CrawlerNode,
  type CrawlScope,
  type GenerateContext,
  type MocraConfig,
  type ParseContext,
  type Response,
} from '@mocra/core';
import { PROBE_HEADER } from './cluster-probe.headers.js';

/** Stamps a request with this process's node id and the run id. */
function probe(url: string, config: MocraConfig, ctx: CrawlScope): Request {
  return Request.get(url).withHeaders({
    [PROBE_HEADER.node]: config.crawler.node_id,
    [PROBE_HEADER.run]: ctx.runId,
  });
}

function base(ctx: { config: Readonly<Record<string, unknown>> }): string {
  return String(ctx.config['base']);
}

/**
 * The product list: the run's account names its shard as "shard/shards" (e.g. "1/2"), so processes dispatched
 * with different accounts crawl disjoint parts of one catalog. Account "default" takes every product.
 */
@Node('products', { entry: true })
@Next('product')
export class CatalogProductsNode implements CrawlerNode {
  constructor(@InjectMocraConfig() private readonly config: MocraConfig) {}

  generate(ctx: GenerateContext): Request {
    return probe(`${base(ctx)}/catalog/products`, this.config, ctx);
  }

  parse(res: Response, ctx: ParseContext): ParseOutput {
    const shard = /^(\d+)\/(\d+)$/.exec(ctx.account);
    const [index, count] = shard ? [Number(shard[1]), Number(shard[2])] : [0, 1];
    const out = new ParseOutput();
    res.json<string[]>().forEach((path, i) => {
      if (i % count === index) out.withNext('product', { url: res.urljoin(path) });
    });
    return out;
  }
}

@Node('product')
export class CatalogProductNode implements CrawlerNode<{ url: string }> {
  constructor(@InjectMocraConfig() private readonly config: MocraConfig) {}

  generate(ctx: GenerateContext<{ url: string }>): Request {
    return probe(ctx.input!.url, this.config, ctx);
  }

  parse(res: Response): ParseOutput {
    return new ParseOutput().withData(res.json<Record<string, unknown>>());
  }
}

/** `count` (module setting) requests per run, as fast as the module's rate limit lets them go. */
@Node('paced', { entry: true })
export class PacedNode implements CrawlerNode<{ i: number }> {
  constructor(@InjectMocraConfig() private readonly config: MocraConfig) {}

  generate(ctx: GenerateContext<{ i: number }>): Request[] {
    const count = Number(ctx.config['count'] ?? 100);
    return Array.from({ length: count }, (_, i) =>
      probe(`${base(ctx)}/paced/${ctx.runId}/${i}`, this.config, ctx),
    );
  }

  parse(): ParseOutput {
    return new ParseOutput();
  }
}

/** One request per run: the cron module, so the site counts runs. */
@Node('tick', { entry: true })
export class TickNode implements CrawlerNode {
  constructor(@InjectMocraConfig() private readonly config: MocraConfig) {}

  generate(ctx: GenerateContext): Request {
    return probe(`${base(ctx)}/tick`, this.config, ctx);
  }

  parse(): ParseOutput {
    return new ParseOutput();
  }
}

/**
 * A serial module's run: `steps` requests one after the other, each carrying the run's fencing token, so the site
 * can check that runs never overlap and that tokens only grow.
 */
@Node('step', { entry: true })
@Next('step')
export class SerialStepNode implements CrawlerNode<{ step: number }> {
  constructor(
    @InjectMocraConfig() private readonly config: MocraConfig,
    private readonly mocra: MocraService,
  ) {}

  generate(ctx: GenerateContext<{ step: number }>): Request {
    const step = ctx.input?.step ?? 0;
    const token = this.mocra.runHandle(ctx.runId)?.fencingTokens?.[`serial:${ctx.module}`];
    return probe(`${base(ctx)}/serial/${step}`, this.config, ctx)
      .withHeaders({ [PROBE_HEADER.fencingToken]: token === undefined ? 'none' : String(token) })
      .addMeta('step', step);
  }

  parse(res: Response, ctx: ParseContext): ParseOutput {
    const step = Number(res.meta['step']);
    const out = new ParseOutput();
    if (step + 1 < Number(ctx.config['steps'] ?? 5)) out.withNext('step', { step: step + 1 });
    return out;
  }
}

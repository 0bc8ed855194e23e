import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogListNode, type ListInput } from '../../src/catalog/catalog-list.node.js';
import { CatalogProductNode, type Product } from '../../src/catalog/catalog-product.node.js';
import { startCatalogSite, type CatalogSite } from '../../src/catalog-site/catalog-site.js';
import {
  createGenerateContext,
  createNodeTestingModule,
  expectData,
  expectNext,
  responseFromHtml,
  runGenerate,
  runParse,
} from '../../libs/mocra/src/testing/index.js';

// The example app's nodes, tested one at a time with @mocra/core/testing on pages of the real catalog site.
describe('example catalog nodes with the testing kit', () => {
  let site: CatalogSite;
  const page = async (path: string) => {
    const res = await fetch(`${site.url}${path}`);
    return responseFromHtml(await res.text(), { url: `${site.url}${path}`, status: res.status });
  };

  beforeAll(async () => {
    site = await startCatalogSite({ products: 30, listPages: 3 });
  });
  afterAll(() => site.close());

  it('list node: starts at start_url, else at base/catalog/1, and follows its input', async () => {
    const node = new CatalogListNode();
    const entry = await runGenerate(node, createGenerateContext<ListInput>({ config: { base: site.url } }));
    expect(entry.map((r) => r.url)).toEqual([`${site.url}/catalog/1`]);
    const start = createGenerateContext<ListInput>({
      config: { base: site.url, start_url: `${site.url}/catalog/2` },
    });
    expect((await runGenerate(node, start)).map((r) => r.url)).toEqual([`${site.url}/catalog/2`]);
    const next = createGenerateContext<ListInput>({ input: { url: `${site.url}/catalog/3` }, config: {} });
    expect((await runGenerate(node, next)).map((r) => r.url)).toEqual([`${site.url}/catalog/3`]);
  });

  it('list node: dispatches every product of the page and the next list page', async () => {
    const out = await runParse(new CatalogListNode(), await page('/catalog/1'));
    const products = expectNext<{ url: string }>(out, 'product').map((i) => i.url);
    for (let id = 1; id <= 10; id++) expect(products).toContain(`${site.url}/product/${id}`);
    expect(expectNext<{ url: string }>(out, 'list').map((i) => i.url)).toContain(`${site.url}/catalog/2`);
    expect(out.data).toEqual([]);
  });

  it('product node: generates only with an input and parses the product the site describes', async () => {
    const module = await createNodeTestingModule({ providers: [CatalogProductNode] });
    const node = module.get(CatalogProductNode);
    expect(await runGenerate(node, createGenerateContext({ config: {} }))).toEqual([]);
    const [req] = await runGenerate(
      node,
      createGenerateContext({ input: { url: `${site.url}/product/17` } }),
    );
    expect(req?.url).toBe(`${site.url}/product/17`);

    const [product] = expectData<Product>(await runParse(node, await page('/product/17')), 1);
    const expected = site.expectedProduct(17);
    expect(product).toEqual({
      id: 17,
      name: expected.name,
      price: expected.price,
      sku: expected.sku,
      url: `${site.url}/product/17`,
    });
    expectNext(await runParse(node, await page('/product/17')), 'product', 0);
    await module.close();
  });
});

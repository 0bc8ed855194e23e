// The catalog page extraction every baseline runs (the raw loops and Crawlee), with the parser and selector engine
// mocra's Response uses (htmlparser2 and css-select, selectors compiled once): the rows then differ by what the
// framework adds, not by which HTML parser each one picked.
import { compile, selectAll, selectOne } from 'css-select';
import type { AnyNode, Element } from 'domhandler';
import { textContent } from 'domutils';
import { parseDocument } from 'htmlparser2';

export interface ExtractedProduct {
  name: string;
  price: number;
  sku: string;
}

const query = (selector: string) => compile<AnyNode, Element>(selector);
const SKU = query('.sku');
const NAME = query('h1.name');
const PRICE = query('.price');
const LIST_LINKS = query('a.product, a[href*="/catalog/"]');

const firstText = (q: ReturnType<typeof query>, root: AnyNode): string => {
  const el = selectOne<AnyNode, Element>(q, root);
  return el ? textContent(el).trim() : '';
};

/** The product of a product page, or undefined when the page lacks a name, sku or numeric price. */
export function extractProduct(html: string): ExtractedProduct | undefined {
  const doc = parseDocument(html);
  const sku = firstText(SKU, doc);
  const name = firstText(NAME, doc);
  const price = Number(firstText(PRICE, doc).replace(/[^0-9.]/g, ''));
  return name !== '' && sku !== '' && !Number.isNaN(price) ? { name, price, sku } : undefined;
}

/** The hrefs of a list page's product and list links, as written in the page. */
export function extractListHrefs(html: string): string[] {
  const hrefs: string[] = [];
  for (const el of selectAll<AnyNode, Element>(LIST_LINKS, parseDocument(html))) {
    const href = el.attribs['href'];
    if (href !== undefined && href !== '') hrefs.push(href);
  }
  return hrefs;
}

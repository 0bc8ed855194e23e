/** What a correct product parser extracts from `/product/:id`. */
export interface ExpectedProduct {
  readonly id: number;
  /** Text of `h1.name`. */
  readonly name: string;
  /** Number in `span.price` (always written with 2 decimals). */
  readonly price: number;
  /** Text of `span.sku`. */
  readonly sku: string;
}

export interface CatalogLayout {
  readonly products: number;
  readonly listPages: number;
  readonly repeatLinks: boolean;
  readonly chain: boolean;
}

// Integer cents keep the price exact: a parser's Number('12.34') equals priceCents / 100.
function priceCents(id: number): number {
  return (id * 7919) % 10000;
}

export function productPriceText(id: number): string {
  return (priceCents(id) / 100).toFixed(2);
}

export function expectedProduct(id: number): ExpectedProduct {
  return { id, name: `Product ${id}`, price: priceCents(id) / 100, sku: `SKU-${id}` };
}

/** First and last product id (inclusive) of a list page; last < first when the page is empty. */
export function listPageRange(layout: CatalogLayout, page: number): { first: number; last: number } {
  return {
    first: Math.floor(((page - 1) * layout.products) / layout.listPages) + 1,
    last: Math.floor((page * layout.products) / layout.listPages),
  };
}

export function listPageOfProduct(layout: CatalogLayout, id: number): number {
  return Math.max(1, Math.ceil((id * layout.listPages) / layout.products));
}

const SENTENCES = [
  'Built from recycled aluminium and finished by hand in a small workshop.',
  'Ships in plastic-free packaging that doubles as a storage box.',
  'Rated four and a half stars by more than two thousand verified buyers.',
  'The matte coating resists fingerprints, scratches and the occasional coffee spill.',
  'Comes with a two-year warranty and free returns within thirty days.',
  'Designed in collaboration with professionals who use it every single day.',
  'Lightweight enough to carry around, sturdy enough to last for years.',
  'Every unit is inspected twice before it leaves the warehouse.',
  'Pairs well with the rest of the collection in the same colour family.',
  'Spare parts are available separately, so a broken piece is not the end of it.',
  'Cleaning takes a damp cloth; no special products are needed.',
  'The compact design fits a drawer, a backpack or a crowded shelf.',
  'Customers often buy two: one for home and one for the office.',
  'Assembly takes about five minutes and needs no tools.',
  'Limited stock: the current batch was produced in small numbers.',
  'Tested at temperatures from minus twenty to plus fifty degrees.',
] as const;

const COLOURS = ['graphite', 'sand', 'forest green', 'ocean blue', 'brick red', 'ivory', 'charcoal', 'sage'];

function pick<T>(items: readonly T[], n: number): T {
  return items[n % items.length] as T;
}

function descriptionHtml(id: number): string {
  // A multiplicative hash spreads neighbouring ids over different sentences.
  const h = Math.imul(id, 2654435761) >>> 0;
  return (
    '<p>Product ' +
    id +
    ' is part of the Mocra everyday range, offered in ' +
    pick(COLOURS, h) +
    '. ' +
    pick(SENTENCES, h) +
    ' ' +
    pick(SENTENCES, (h >>> 4) + 1) +
    '</p><p>' +
    pick(SENTENCES, (h >>> 8) + 2) +
    ' ' +
    pick(SENTENCES, (h >>> 12) + 3) +
    '</p>'
  );
}

const HEAD_END =
  '<meta name="viewport" content="width=device-width, initial-scale=1">' +
  '<style>body{font-family:sans-serif;margin:0 auto;max-width:60rem}.price{font-weight:bold}</style></head>\n<body>\n' +
  '<header><nav><a class="home" href="/catalog/1">Mocra Catalog</a></nav></header>\n';

const FOOTER = '<footer><p>&copy; Mocra Catalog, a test site for crawlers.</p></footer>\n</body></html>\n';

export function productHtml(layout: CatalogLayout, id: number): string {
  const p = expectedProduct(id);
  const listPage = listPageOfProduct(layout, id);
  const h = Math.imul(id, 40503) >>> 0;
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>' +
    p.name +
    ' | Mocra Catalog</title>' +
    HEAD_END +
    '<main><p class="breadcrumbs"><a class="breadcrumb" href="/catalog/' +
    listPage +
    '">Catalog page ' +
    listPage +
    '</a></p>\n<article class="product" data-id="' +
    id +
    '">\n<h1 class="name">' +
    p.name +
    '</h1>\n<p class="offer"><span class="price">' +
    productPriceText(id) +
    '</span> <span class="currency">USD</span></p>\n<p class="ids">SKU: <span class="sku">' +
    p.sku +
    '</span></p>\n<div class="description">' +
    descriptionHtml(id) +
    '</div>\n<ul class="specs"><li>Weight: ' +
    (100 + (h % 900)) +
    ' g</li><li>Colour: ' +
    pick(COLOURS, h >>> 3) +
    '</li><li>In stock: ' +
    (h % 7 === 0 ? 'no' : 'yes') +
    '</li></ul>\n</article></main>\n' +
    FOOTER
  );
}

function productItem(id: number): string {
  return (
    '<li><a class="product" href="/product/' +
    id +
    '">Product ' +
    id +
    '</a> <span class="list-price">' +
    productPriceText(id) +
    '</span></li>\n'
  );
}

/** How many products of the previous list page a list page links to again when `repeatLinks` is on. */
export const REPEATED_PRODUCTS_PER_PAGE = 5;

export function listHtml(layout: CatalogLayout, page: number): string {
  const { first, last } = listPageRange(layout, page);
  let html =
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Catalog page ' +
    page +
    ' of ' +
    layout.listPages +
    ' | Mocra Catalog</title>' +
    HEAD_END +
    '<main><h1>Catalog page ' +
    page +
    '</h1>\n<ul class="products">\n';
  for (let id = first; id <= last; id++) html += productItem(id);
  html += '</ul>\n';
  if (layout.repeatLinks && page > 1) {
    const prev = listPageRange(layout, page - 1);
    const end = Math.min(prev.last, prev.first + REPEATED_PRODUCTS_PER_PAGE - 1);
    html += '<aside class="recently-viewed"><h2>Recently viewed</h2>\n<ul>\n';
    for (let id = prev.first; id <= end; id++) html += productItem(id);
    html += '</ul></aside>\n';
  }
  html += '<nav class="pagination">\n';
  if (layout.repeatLinks) {
    html += '<a class="page" href="/catalog/1">First</a>\n';
    html += '<a class="page" href="/catalog/' + page + '">Page ' + page + '</a>\n';
  }
  if (!layout.chain && page === 1) {
    for (let p = 2; p <= layout.listPages; p++) {
      html += '<a class="page" href="/catalog/' + p + '">Page ' + p + '</a>\n';
    }
  }
  if (layout.chain && page < layout.listPages) {
    html += '<a class="next" href="/catalog/' + (page + 1) + '">Next</a>\n';
  }
  return html + '</nav></main>\n' + FOOTER;
}

export const ROBOTS_TXT = 'User-agent: *\nDisallow: /__stats\nAllow: /\n';

export const NOT_FOUND_HTML =
  '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Not found</title></head>' +
  '<body><h1>404 Not Found</h1></body></html>\n';

export function errorHtml(status: number): string {
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Error ' +
    status +
    '</title></head><body><h1>' +
    status +
    ' Server Error</h1><p>Please try again.</p></body></html>\n'
  );
}

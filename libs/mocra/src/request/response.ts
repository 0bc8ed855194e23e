import { load, type CheerioAPI } from 'cheerio/slim';
import type { Document, Element } from 'domhandler';
import { textContent } from 'domutils';
import { parseDocument } from 'htmlparser2';
import { compiledSelector } from './compiled-selector.js';
import { detachDocument } from './detach-document.js';
import type { RequestData, ResponseData } from './request-data.js';
import { Request } from './request.js';
import { charsetOf, decodeBody } from './response-charset.js';
import { ResponseParseError } from './response-parse.error.js';

/**
 * What `parse()` receives: a read-only view over `ResponseData` with decoding and HTML helpers. The decoded text,
 * the parsed document, the cheerio root and the Request view are built on first use and cached.
 *
 * HTML is parsed by htmlparser2, not parse5: it builds the same DOM for the markup a crawler meets at about a third
 * of the CPU, which on a crawl is the largest cost after the network stack. Like lxml in Scrapy, it does not add
 * the elements a browser infers (`<tbody>`, or `<html>`/`<body>` around a fragment), so selectors copied from
 * browser devtools may need those steps removed.
 */
export class Response {
  private cachedText: string | undefined = undefined;
  private cachedDocument: Document | undefined = undefined;
  private cachedDom: CheerioAPI | undefined = undefined;
  private cachedRequest: Request | undefined = undefined;
  private cachedBase: string | undefined = undefined;
  private cachedBasePrefix: string | null | undefined = undefined;

  constructor(private readonly data: ResponseData) {}

  get id(): string {
    return this.data.id;
  }

  get status(): number {
    return this.data.status;
  }

  /** True for a 2xx status. */
  get ok(): boolean {
    return this.data.status >= 200 && this.data.status < 300;
  }

  /** Final URL, after redirects. */
  get url(): string {
    return this.data.url;
  }

  /** Lower-cased names; repeated headers joined with ", " (set-cookie with "\n"). */
  get headers(): Readonly<Record<string, string>> {
    return this.data.headers;
  }

  header(name: string): string | undefined {
    return this.data.headers[name.toLowerCase()];
  }

  get body(): Uint8Array {
    return this.data.body;
  }

  get elapsedMs(): number {
    return this.data.elapsedMs;
  }

  get fromCache(): boolean {
    return this.data.fromCache === true;
  }

  /** The request's meta: where progression state travels between nodes. */
  get meta(): Readonly<Record<string, unknown>> {
    return this.data.request.meta;
  }

  get request(): Request {
    return (this.cachedRequest ??= Request.fromData(this.data.request));
  }

  /** The body decoded with the charset from Content-Type (or an HTML <meta charset>), utf-8 by default. */
  text(): string {
    if (this.cachedText === undefined) {
      this.cachedText = decodeBody(this.data.body, charsetOf(this.header('content-type'), this.data.body));
    }
    return this.cachedText;
  }

  /** The body parsed as JSON; throws ResponseParseError naming the URL when it is not JSON. */
  json<T = unknown>(): T {
    try {
      return JSON.parse(this.text()) as T;
    } catch (err) {
      const cause = err instanceof Error ? err.message : String(err);
      throw new ResponseParseError(this.data.url, this.data.status, `body is not valid JSON: ${cause}`, {
        cause: err,
      });
    }
  }

  /** A cheerio root over the body, so `res.$('a.product')` works; built once. */
  get $(): CheerioAPI {
    return (this.cachedDom ??= load(this.document(), { baseURI: this.data.url }));
  }

  /** The trimmed text of each element matching `selector` (CSS, plus cheerio's `:first`, `:eq(n)` and the like). */
  css(selector: string): string[] {
    return this.select(selector).map((el) => textContent(el).trim());
  }

  /** The trimmed text of the first element matching `selector`, or undefined when none matches. */
  cssFirst(selector: string): string | undefined {
    const el = this.selectFirst(selector);
    return el === undefined ? undefined : textContent(el).trim();
  }

  /**
   * Absolute http(s) URLs from the href (or src) of the elements matching `selector`, resolved against the
   * document base (<base href> or the response URL), without fragments, deduplicated in document order.
   */
  links(selector = 'a[href]'): string[] {
    const base = this.baseUrl();
    const prefix = this.basePrefix(base);
    const seen = new Set<string>();
    for (const el of this.select(selector)) {
      const raw = el.attribs['href'] ?? el.attribs['src'];
      if (!raw) continue;
      const href = raw.trim();
      // Most links of a crawled page are root-relative paths already in canonical form; for those the URL parser
      // would only prepend the origin, so skip it (it is most of this method's cost on a list page).
      if (prefix !== null && CANONICAL_ROOT_PATH.test(href)) {
        seen.add(prefix + href);
        continue;
      }
      const abs = resolve(href, base);
      if (!abs || (abs.protocol !== 'http:' && abs.protocol !== 'https:')) continue;
      if (abs.hash !== '') abs.hash = '';
      seen.add(abs.href);
    }
    return [...seen];
  }

  /** `href` resolved against the document base (<base href> for HTML, else the response URL). */
  urljoin(href: string): string {
    const abs = resolve(href, this.baseUrl());
    if (!abs)
      throw new ResponseParseError(this.data.url, this.data.status, `cannot resolve ${JSON.stringify(href)}`);
    return abs.href;
  }

  /**
   * Drops the decoded text, the document and the cheerio root (they are rebuilt if used again), and empties every
   * node's child list, so nodes kept past this point have no children. The runtime calls this when parse() returns,
   * so a page's DOM dies young instead of waiting for the items to be stored.
   */
  releaseParsed(): void {
    this.cachedText = undefined;
    if (this.cachedDocument !== undefined) detachDocument(this.cachedDocument);
    this.cachedDocument = undefined;
    this.cachedDom = undefined;
  }

  toData(): ResponseData {
    return this.data;
  }

  /** The request data this response answers (not copied). */
  get requestData(): Readonly<RequestData> {
    return this.data.request;
  }

  private document(): Document {
    return (this.cachedDocument ??= parseDocument(this.text()));
  }

  /**
   * Elements matching `selector`, in document order. Selectors css-select understands run compiled (and cached
   * across responses) straight on the DOM; cheerio's jQuery extensions go through cheerio.
   */
  private select(selector: string): Element[] {
    const query = compiledSelector(selector);
    if (query === undefined) return this.cheerioSelect(selector);
    return query.all(this.document());
  }

  private selectFirst(selector: string): Element | undefined {
    const query = compiledSelector(selector);
    if (query === undefined) return this.cheerioSelect(selector)[0];
    return query.first(this.document());
  }

  private cheerioSelect(selector: string): Element[] {
    try {
      return this.$(selector).toArray().filter(isElement);
    } catch (err) {
      const cause = err instanceof Error ? err.message : String(err);
      throw new ResponseParseError(
        this.data.url,
        this.data.status,
        `invalid selector ${JSON.stringify(selector)}: ${cause}`,
        { cause: err },
      );
    }
  }

  /** `scheme://host[:port]` of an http(s) base without credentials, else null (no fast path). */
  private basePrefix(base: string): string | null {
    if (this.cachedBasePrefix !== undefined) return this.cachedBasePrefix;
    const u = resolve(base, undefined);
    const plain = u && (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password;
    return (this.cachedBasePrefix = plain ? `${u.protocol}//${u.host}` : null);
  }

  private baseUrl(): string {
    if (this.cachedBase !== undefined) return this.cachedBase;
    let base = this.data.url;
    const type = this.header('content-type');
    // Only HTML can carry <base>; parsing other bodies just to look would waste the work.
    // A <base> element is spelled "<base" in the source, so a page without that text has none: most pages skip the
    // walk over the whole tree that the selector would make to find nothing.
    const htmlLike = this.cachedDocument !== undefined || type === undefined || /html/i.test(type);
    if (htmlLike && BASE_TAG.test(this.text())) {
      const declared = this.selectFirst('base[href]')?.attribs['href'];
      const abs = declared ? resolve(declared.trim(), base) : undefined;
      if (abs) base = abs.href;
    }
    return (this.cachedBase = base);
  }
}

const BASE_TAG = /<base[\s/>]/i;

/**
 * A root-relative href that `new URL(href, base)` would append to the origin unchanged: one leading slash, only
 * characters the URL parser leaves as they are in a path or query, no dot segments (nor `%2e`), no fragment.
 */
const CANONICAL_ROOT_PATH = /^\/(?![/\\])(?!.*\/\.)(?!.*%2e)[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*$/i;

function isElement(node: unknown): node is Element {
  return (node as { attribs?: unknown }).attribs !== undefined;
}

function resolve(href: string, base: string | undefined): URL | undefined {
  try {
    return new URL(href, base);
  } catch {
    return undefined;
  }
}

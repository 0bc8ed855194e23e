import { load, type CheerioAPI } from 'cheerio';
import type { RequestData, ResponseData } from './request-data.js';
import { Request } from './request.js';
import { charsetOf, decodeBody } from './response-charset.js';
import { ResponseParseError } from './response-parse.error.js';

/**
 * What `parse()` receives: a read-only view over `ResponseData` with decoding and HTML helpers. The decoded text,
 * the cheerio document and the Request view are built on first use and cached.
 */
export class Response {
  private cachedText: string | undefined;
  private cachedDom: CheerioAPI | undefined;
  private cachedRequest: Request | undefined;
  private cachedBase: string | undefined;
  private cachedBasePrefix: string | null | undefined;

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
    return (this.cachedDom ??= load(this.text(), { baseURI: this.data.url }));
  }

  /** The trimmed text of each element matching `selector`. */
  css(selector: string): string[] {
    const $ = this.$;
    return $(selector)
      .toArray()
      .map((el) => $(el).text().trim());
  }

  /**
   * Absolute http(s) URLs from the href (or src) of the elements matching `selector`, resolved against the
   * document base (<base href> or the response URL), without fragments, deduplicated in document order.
   */
  links(selector = 'a[href]'): string[] {
    const $ = this.$;
    const base = this.baseUrl();
    const prefix = this.basePrefix(base);
    const seen = new Set<string>();
    for (const el of $(selector).toArray()) {
      const attribs = (el as { attribs?: Record<string, string> }).attribs;
      const raw = attribs?.['href'] ?? attribs?.['src'];
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

  toData(): ResponseData {
    return this.data;
  }

  /** The request data this response answers (not copied). */
  get requestData(): Readonly<RequestData> {
    return this.data.request;
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
    if (this.cachedDom !== undefined || type === undefined || /html/i.test(type)) {
      const declared = this.$('base[href]').first().attr('href');
      const abs = declared ? resolve(declared.trim(), base) : undefined;
      if (abs) base = abs.href;
    }
    return (this.cachedBase = base);
  }
}

/**
 * A root-relative href that `new URL(href, base)` would append to the origin unchanged: one leading slash, only
 * characters the URL parser leaves as they are in a path or query, no dot segments (nor `%2e`), no fragment.
 */
const CANONICAL_ROOT_PATH = /^\/(?![/\\])(?!.*\/\.)(?!.*%2e)[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*$/i;

function resolve(href: string, base: string | undefined): URL | undefined {
  try {
    return new URL(href, base);
  } catch {
    return undefined;
  }
}

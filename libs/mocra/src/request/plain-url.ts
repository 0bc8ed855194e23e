const SLASH = 47;
const COLON = 58;
const DOT = 46;

// Characters a path keeps as written when the WHATWG parser serialises an http(s) URL: unreserved, sub-delims,
// ':', '@', '/' and '%'. Anything else ('?', '#', '\\', '^', spaces, non-ASCII...) sends the URL to the parser.
const PATH_CHAR = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/%") {
  PATH_CHAR[c.charCodeAt(0)] = 1;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * Where the origin of `url` ends (the index of the path's first '/'), when `url` is an absolute http(s) URL already
 * spelt exactly as `new URL(url).href` would spell it and has no query or fragment: lower-case scheme and host, no
 * credentials, no default or zero-padded port, a path with no dot segments and only characters the parser keeps.
 * Otherwise -1, and the caller parses it. Most links of a crawl are of this form, and the engine reads each
 * request's URL in several places (validation, fingerprint, host gates), where one URL parse costs more than the
 * check.
 */
export function plainUrlOriginEnd(url: string): number {
  let i: number;
  let defaultPort: number;
  if (url.startsWith('http://')) {
    i = 7;
    defaultPort = 80;
  } else if (url.startsWith('https://')) {
    i = 8;
    defaultPort = 443;
  } else {
    return -1;
  }
  const n = url.length;
  // Host: dot-separated non-empty labels of [a-z0-9-], in one scan (this runs several times per request).
  const hostStart = i;
  let labelStart = i;
  let labels = 0;
  let numeric = true;
  let value = 0;
  let lastLabelNumeric = false;
  let allLabelsCanonicalOctets = true;
  for (; ; i++) {
    const c = i < n ? url.charCodeAt(i) : SLASH;
    if (isDigit(c)) {
      value = value * 10 + (c - 48);
      continue;
    }
    if ((c >= 97 && c <= 122) || c === 45 /* - */) {
      numeric = false;
      continue;
    }
    if (c !== DOT && c !== COLON && c !== SLASH) return -1;
    const len = i - labelStart;
    if (len === 0) return -1;
    if (!numeric) {
      allLabelsCanonicalOctets = false;
      // Punycode labels are checked (and may be rejected) by the parser.
      if (len >= 4 && url.charCodeAt(labelStart) === 120 /* x */ && url.startsWith('xn--', labelStart)) {
        return -1;
      }
    } else if (len > 3 || value > 255 || (len > 1 && url.charCodeAt(labelStart) === 48)) {
      allLabelsCanonicalOctets = false;
    }
    lastLabelNumeric = numeric;
    labels++;
    if (c !== DOT) break;
    labelStart = i + 1;
    numeric = true;
    value = 0;
  }
  // A host whose last label is a number is an IPv4 address to the parser; only the dotted-quad spelling is kept.
  if (lastLabelNumeric && !(labels === 4 && allLabelsCanonicalOctets)) return -1;
  if (i - hostStart > 253) return -1;
  if (i < n && url.charCodeAt(i) === COLON) {
    const portStart = ++i;
    let port = 0;
    for (; i < n && isDigit(url.charCodeAt(i)); i++) port = port * 10 + (url.charCodeAt(i) - 48);
    const len = i - portStart;
    if (len === 0 || len > 5 || url.charCodeAt(portStart) === 48 || port === defaultPort || port > 65535) {
      return -1;
    }
  }
  // The parser adds the '/' of an empty path, so a URL without one is not in its serialised form.
  if (i >= n || url.charCodeAt(i) !== SLASH) return -1;
  const originEnd = i;
  for (let k = i; k < n; k++) {
    const c = url.charCodeAt(k);
    if (c >= 128 || PATH_CHAR[c] === 0) return -1;
    if (c === SLASH) {
      // Dot segments ("/./", "/../", also as %2e) are removed by the parser.
      if (k + 1 < n && url.charCodeAt(k + 1) === DOT) return -1;
    } else if (c === 37 /* % */) {
      if (k + 2 < n && url.charCodeAt(k + 1) === 50 && (url.charCodeAt(k + 2) | 32) === 101) return -1;
    }
  }
  return originEnd;
}

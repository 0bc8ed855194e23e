/** The subset of EDN that Jepsen history lines use. Keywords are kept apart from strings. */
export class EdnKeyword {
  constructor(readonly name: string) {}
}

export type EdnValue = null | boolean | number | string | EdnKeyword | EdnValue[] | Map<string, EdnValue>;

const DELIMITERS = new Set([' ', '\t', '\r', '\n', ',', '{', '}', '[', ']', '(', ')', '"']);
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };

/**
 * Reads one EDN value. Map keys must be keywords and are stored by name (`:process` -> "process"). Throws with
 * the offset of the first character it cannot read.
 */
export function readEdn(text: string, where: string): EdnValue {
  let pos = 0;

  const fail = (what: string): never => {
    throw new Error(`${where}: ${what} at column ${pos + 1}`);
  };

  const skipSpace = (): void => {
    while (pos < text.length) {
      const c = text[pos] as string;
      if (c === ';') {
        while (pos < text.length && text[pos] !== '\n') pos++;
      } else if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === ',') {
        pos++;
      } else {
        return;
      }
    }
  };

  const readToken = (): string => {
    const start = pos;
    while (pos < text.length && !DELIMITERS.has(text[pos] as string)) pos++;
    return text.slice(start, pos);
  };

  const readString = (): string => {
    pos++; // opening quote
    let out = '';
    while (pos < text.length) {
      const c = text[pos++] as string;
      if (c === '"') return out;
      if (c === '\\') {
        const e = text[pos++];
        const mapped = e === undefined ? undefined : ESCAPES[e];
        if (mapped === undefined) fail(`unsupported string escape \\${e ?? ''}`);
        out += mapped;
      } else {
        out += c;
      }
    }
    return fail('unterminated string');
  };

  const readSeq = (close: string): EdnValue[] => {
    pos++;
    const items: EdnValue[] = [];
    for (;;) {
      skipSpace();
      if (pos >= text.length) fail(`missing "${close}"`);
      if (text[pos] === close) {
        pos++;
        return items;
      }
      items.push(readValue());
    }
  };

  const readValue = (): EdnValue => {
    skipSpace();
    const c = text[pos];
    if (c === undefined) return fail('expected a value but the text ended');
    if (c === '"') return readString();
    if (c === '[') return readSeq(']');
    if (c === '(') return readSeq(')');
    if (c === '{') {
      const items = readSeq('}');
      if (items.length % 2 !== 0) fail('map with an odd number of forms');
      const map = new Map<string, EdnValue>();
      for (let i = 0; i < items.length; i += 2) {
        const k = items[i];
        if (!(k instanceof EdnKeyword)) return fail('map key that is not a keyword');
        map.set(k.name, items[i + 1] ?? null);
      }
      return map;
    }
    const start = pos;
    const token = readToken();
    if (token === '') return fail(`unexpected "${c}"`);
    if (token === 'nil') return null;
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (token.startsWith(':') && token.length > 1) return new EdnKeyword(token.slice(1));
    if (/^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?N?M?$/.test(token)) return Number(token.replace(/[NM]$/, ''));
    pos = start;
    return fail(`unsupported token "${token}"`);
  };

  const value = readValue();
  skipSpace();
  if (pos < text.length) fail('trailing text after the value');
  return value;
}

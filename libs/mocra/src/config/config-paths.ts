/** Key paths as messages and docs show them: dotted, with TOML quoting for names that need it. */
export function quoteKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

export function joinPath(parent: string, key: string): string {
  return parent === '' ? quoteKey(key) : `${parent}.${quoteKey(key)}`;
}

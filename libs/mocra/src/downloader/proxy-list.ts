/**
 * Parses a provider's text list: one proxy per line as `ip:port` or `ip:port:user:pass` (or a full
 * http(s)://[user:pass@]host:port URL). Blank lines and `#` comments are skipped; malformed lines are reported,
 * not fatal, so one bad line does not empty a refill.
 */
export function parseProxyList(text: string): { urls: string[]; invalid: string[] } {
  const urls: string[] = [];
  const invalid: string[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const url = proxyLineToUrl(line);
    if (url === undefined) invalid.push(line);
    else urls.push(url);
  }
  return { urls, invalid };
}

function proxyLineToUrl(line: string): string | undefined {
  if (/^https?:\/\//i.test(line)) {
    try {
      const u = new URL(line);
      return u.port !== '' || u.hostname !== '' ? u.href.replace(/\/$/, '') : undefined;
    } catch {
      return undefined;
    }
  }
  const parts = line.split(':');
  if (parts.length !== 2 && parts.length !== 4) return undefined;
  const [host, port, user, pass] = parts as [string, string, string | undefined, string | undefined];
  const portNumber = Number(port);
  if (host === '' || !Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) return undefined;
  const auth =
    user !== undefined && pass !== undefined
      ? `${encodeURIComponent(user)}:${encodeURIComponent(pass)}@`
      : '';
  try {
    return new URL(`http://${auth}${host}:${portNumber}`).href.replace(/\/$/, '');
  } catch {
    return undefined;
  }
}

export interface PeerAddress {
  host: string;
  port: number;
}

/** Parses `host:port` or `[ipv6]:port`; the error names the address and what is wrong with it. */
export function parsePeerAddress(address: string): PeerAddress {
  const colon = address.lastIndexOf(':');
  if (colon <= 0) throw new Error(`raft transport: address '${address}' is not host:port`);
  let host = address.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const portText = address.slice(colon + 1);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new Error(`raft transport: address '${address}' has an invalid port '${portText}'`);
  }
  if (host.length === 0) throw new Error(`raft transport: address '${address}' has an empty host`);
  return { host, port };
}

export function formatPeerAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

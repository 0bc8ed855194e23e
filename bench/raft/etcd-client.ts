import { Pool } from 'undici';

/**
 * Writes to etcd 3.4+ through its v3 JSON gateway (`POST /v3/kv/put`, base64 key and value), over one keep-alive
 * undici Pool to the leader's client URL. Writing to the leader rather than any member matches what our Raft client
 * does, so neither side pays a follower's forwarding hop.
 */
export class EtcdGatewayClient {
  private constructor(
    readonly leaderEndpoint: string,
    private readonly pool: Pool,
  ) {}

  /**
   * Finds the leader among `endpoints` and opens a pool of `connections` to it; one connection per concurrent writer
   * keeps a closed-loop client from queueing behind another on the HTTP side.
   */
  static async connect(endpoints: readonly string[], connections: number): Promise<EtcdGatewayClient> {
    if (!Number.isInteger(connections) || connections < 1) {
      throw new Error(`etcd client: connections must be a positive integer, got ${connections}`);
    }
    const leader = await findLeader(endpoints);
    const pool = new Pool(leader, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
    return new EtcdGatewayClient(leader, pool);
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    const body = JSON.stringify({
      key: Buffer.from(key).toString('base64'),
      value: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
    });
    const res = await this.pool.request({
      path: '/v3/kv/put',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const text = await res.body.text();
    // A failed put answers with {"error": ...} and a non-200 status; a success always carries the raft header.
    if (res.statusCode !== 200 || !text.includes('"header"')) {
      throw new Error(
        `etcd put ${key} at ${this.leaderEndpoint}: HTTP ${res.statusCode} ${text.slice(0, 200)}`,
      );
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

interface MemberStatus {
  endpoint: string;
  memberId: string;
  leaderId: string;
}

/** The client URL of the member whose id equals the leader id that members report in /v3/maintenance/status. */
export async function findLeader(endpoints: readonly string[]): Promise<string> {
  if (endpoints.length === 0) throw new Error('etcd client: no endpoints given');
  const answers = await Promise.all(endpoints.map((endpoint) => memberStatus(endpoint)));
  const statuses = answers.filter((s): s is MemberStatus => !(s instanceof Error));
  const leaderIds = new Set(statuses.map((s) => s.leaderId).filter((id) => id !== '0'));
  const leader = statuses.find((s) => leaderIds.has(s.memberId));
  if (leader === undefined) {
    const failures = answers.filter((a): a is Error => a instanceof Error).map((e) => e.message);
    throw new Error(
      `etcd client: no leader among ${endpoints.join(', ')} (reported leader ids: ${[...leaderIds].join(', ') || 'none'}` +
        `${failures.length > 0 ? `; ${failures.join('; ')}` : ''})`,
    );
  }
  return leader.endpoint;
}

async function memberStatus(endpoint: string): Promise<MemberStatus | Error> {
  try {
    const res = await fetch(`${endpoint}/v3/maintenance/status`, {
      method: 'POST',
      body: '{}',
      signal: AbortSignal.timeout(3_000),
    });
    const text = await res.text();
    if (!res.ok)
      return new Error(`${endpoint}/v3/maintenance/status: HTTP ${res.status} ${text.slice(0, 200)}`);
    return parseStatus(endpoint, JSON.parse(text) as unknown);
  } catch (err) {
    return new Error(
      `${endpoint}/v3/maintenance/status: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** The gateway renders uint64 ids as JSON strings; anything else means this is not the endpoint we think. */
function parseStatus(endpoint: string, json: unknown): MemberStatus | Error {
  const where = `${endpoint}/v3/maintenance/status`;
  if (typeof json !== 'object' || json === null) return new Error(`${where}: answer is not a JSON object`);
  const { header, leader } = json as { header?: unknown; leader?: unknown };
  const memberId =
    typeof header === 'object' && header !== null ? (header as { member_id?: unknown }).member_id : undefined;
  if (typeof memberId !== 'string') return new Error(`${where}: header.member_id is not a string`);
  // A member that knows no leader omits the field (proto3 zero value).
  if (leader !== undefined && typeof leader !== 'string')
    return new Error(`${where}: leader is not a string`);
  return { endpoint, memberId, leaderId: leader ?? '0' };
}

import { ConfigKey } from '../config-key.decorator.js';
import { intRange, nonEmptyStr, nonNegativeNumber, positiveInt } from '../config-value.kinds.js';

/** `[api]`: the HTTP control plane. Absent = no HTTP server. */
export interface ApiConfig {
  readonly port: number;
  readonly host: string;
  readonly api_key?: string;
  readonly rate_limit: number;
  readonly body_limit: number;
}

export class ApiConfigSection implements ApiConfig {
  @ConfigKey({
    kind: intRange(1, 65535),
    required: true,
    doc: 'TCP port of the HTTP API (required in [api]).',
  })
  port!: number;

  @ConfigKey({
    kind: nonEmptyStr,
    default: '127.0.0.1',
    doc: 'Address to bind; "0.0.0.0" exposes the API on every interface.',
  })
  host!: string;

  @ConfigKey({
    kind: nonEmptyStr,
    secret: true,
    defaultText: 'none (protected routes answer 403)',
    doc: 'Key for protected routes, sent as `Authorization: Bearer <key>` or `x-api-key`.',
  })
  api_key?: string;

  @ConfigKey({
    kind: nonNegativeNumber,
    default: 0,
    doc: 'Requests per second allowed per API key; 0 means no limit.',
  })
  rate_limit!: number;

  @ConfigKey({
    kind: positiveInt,
    default: 1024 * 1024,
    defaultText: '1048576 (1 MiB)',
    doc: 'Largest request body in bytes.',
  })
  body_limit!: number;
}

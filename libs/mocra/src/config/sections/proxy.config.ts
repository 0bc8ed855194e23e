import type { ConfigIssue } from '../config.error.js';
import { ConfigKey, table, tables, type CrossFieldChecked } from '../config-key.decorator.js';
import {
  expiry,
  nonEmptyStr,
  nonNegativeInt,
  nonNegativeIntList,
  nonNegativeNumber,
  positiveInt,
  positiveNumber,
  ratio,
  url,
} from '../config-value.kinds.js';

/** `[[proxy.tunnel]]`: a tunnel proxy endpoint (one address, rotating exit IPs). */
export interface TunnelProxyConfig {
  readonly name: string;
  readonly endpoint: string;
  readonly username?: string;
  readonly password?: string;
  readonly tunnel_type?: string;
  readonly expire_time?: string | number | Date;
  readonly rate_limit: number;
  readonly pool: string;
}

export class TunnelProxyConfigSection implements TunnelProxyConfig {
  @ConfigKey({
    kind: nonEmptyStr,
    default: 'default',
    doc: 'Pool the proxy belongs to (a module picks one with `proxyPool`).',
  })
  pool!: string;

  @ConfigKey({ kind: nonEmptyStr, required: true, doc: 'Name of the tunnel.' })
  name!: string;

  @ConfigKey({ kind: nonEmptyStr, required: true, doc: 'Tunnel address, "host:port" or a proxy URL.' })
  endpoint!: string;

  @ConfigKey({ kind: nonEmptyStr, doc: 'Proxy user.' })
  username?: string;

  @ConfigKey({ kind: nonEmptyStr, secret: true, doc: 'Proxy password.' })
  password?: string;

  @ConfigKey({ kind: nonEmptyStr, doc: 'Provider-specific tunnel type.' })
  tunnel_type?: string;

  @ConfigKey({ kind: expiry, doc: 'When the tunnel stops being used.' })
  expire_time?: string | number | Date;

  @ConfigKey({
    kind: nonNegativeNumber,
    default: 10,
    doc: 'Requests per second through this tunnel; 0 = no limit.',
  })
  rate_limit!: number;
}

/** `[[proxy.direct]]`: a fixed proxy URL. */
export interface DirectProxyConfig {
  readonly name?: string;
  readonly url: string;
  readonly rate_limit: number;
  readonly expire_time?: string | number | Date;
  readonly pool: string;
}

export class DirectProxyConfigSection implements DirectProxyConfig {
  @ConfigKey({
    kind: nonEmptyStr,
    default: 'default',
    doc: 'Pool the proxy belongs to (a module picks one with `proxyPool`).',
  })
  pool!: string;

  @ConfigKey({ kind: nonEmptyStr, doc: 'Name of the proxy.' })
  name?: string;

  @ConfigKey({ kind: url(['http', 'https', 'ws', 'wss']), required: true, doc: 'Proxy URL.' })
  url!: string;

  @ConfigKey({
    kind: nonNegativeNumber,
    default: 10,
    doc: 'Requests per second through this proxy; 0 = no limit.',
  })
  rate_limit!: number;

  @ConfigKey({ kind: expiry, doc: 'When the proxy stops being used.' })
  expire_time?: string | number | Date;
}

/** `[[proxy.ip_provider]]`: an API that hands out proxy IPs. */
export interface IpProviderConfig {
  readonly name: string;
  readonly url: string;
  readonly retry_codes: readonly number[];
  readonly timeout: number;
  readonly rate_limit: number;
  readonly provider_expire_time?: string | number | Date;
  readonly proxy_expire_time?: number;
  readonly weight: number;
  readonly pool: string;
}

export class IpProviderConfigSection implements IpProviderConfig {
  @ConfigKey({
    kind: nonEmptyStr,
    default: 'default',
    doc: 'Pool its proxies join (a module picks one with `proxyPool`).',
  })
  pool!: string;

  @ConfigKey({
    kind: nonEmptyStr,
    required: true,
    doc: 'Provider name; "kuaidaili" and "zm"/"zhima" are parsed natively, others as `ip:port[:user:pass]` lines.',
  })
  name!: string;

  @ConfigKey({ kind: url(['http', 'https']), required: true, doc: 'URL returning proxy addresses.' })
  url!: string;

  @ConfigKey({ kind: nonNegativeIntList, default: [], doc: 'Provider response codes that mean "ask again".' })
  retry_codes!: number[];

  @ConfigKey({ kind: positiveNumber, default: 10, doc: 'Seconds to wait for the provider.' })
  timeout!: number;

  @ConfigKey({ kind: nonNegativeNumber, default: 10, doc: 'Requests per second through each fetched proxy.' })
  rate_limit!: number;

  @ConfigKey({ kind: expiry, doc: 'When the provider stops being used.' })
  provider_expire_time?: string | number | Date;

  @ConfigKey({ kind: positiveInt, doc: 'Seconds a fetched proxy stays usable.' })
  proxy_expire_time?: number;

  @ConfigKey({ kind: positiveInt, default: 1, doc: 'Share of proxies taken from this provider.' })
  weight!: number;
}

/** `[proxy.pool_config]`: sizing of the proxy pool. */
export interface ProxyPoolConfig {
  readonly min_size: number;
  readonly max_size: number;
  readonly max_errors: number;
  readonly health_check_interval_secs: number;
  readonly refill_threshold: number;
}

export class ProxyPoolConfigSection implements ProxyPoolConfig, CrossFieldChecked {
  @ConfigKey({ kind: nonNegativeInt, default: 5, doc: 'Proxies the pool tries to keep.' })
  min_size!: number;

  @ConfigKey({ kind: positiveInt, default: 50, doc: 'Most proxies kept.' })
  max_size!: number;

  @ConfigKey({ kind: positiveInt, default: 3, doc: 'Failures after which a proxy is dropped.' })
  max_errors!: number;

  @ConfigKey({ kind: positiveInt, default: 300, doc: 'Seconds between proxy health checks.' })
  health_check_interval_secs!: number;

  @ConfigKey({
    kind: ratio,
    default: 0.3,
    doc: 'Refill from providers when the pool falls below this share of max_size.',
  })
  refill_threshold!: number;

  checkFields(): ConfigIssue[] {
    if (
      typeof this.min_size === 'number' &&
      typeof this.max_size === 'number' &&
      this.min_size > this.max_size
    ) {
      return [
        {
          path: 'min_size',
          message: `must be at most proxy.pool_config.max_size (${this.max_size}), got ${this.min_size}`,
        },
      ];
    }
    return [];
  }
}

/** `[proxy]`: proxy pools used by modules that set `proxyPool`. */
export interface ProxyConfig {
  readonly tunnel: readonly TunnelProxyConfig[];
  readonly direct: readonly DirectProxyConfig[];
  readonly ip_provider: readonly IpProviderConfig[];
  readonly pool_config: ProxyPoolConfig;
}

export class ProxyConfigSection implements ProxyConfig {
  @ConfigKey({ kind: tables(() => TunnelProxyConfigSection), default: [], doc: 'Tunnel proxies.' })
  tunnel!: TunnelProxyConfig[];

  @ConfigKey({ kind: tables(() => DirectProxyConfigSection), default: [], doc: 'Fixed proxy URLs.' })
  direct!: DirectProxyConfig[];

  @ConfigKey({ kind: tables(() => IpProviderConfigSection), default: [], doc: 'Proxy-IP provider APIs.' })
  ip_provider!: IpProviderConfig[];

  @ConfigKey({
    kind: table(() => ProxyPoolConfigSection),
    default: {},
    doc: 'Pool sizing and health checks.',
  })
  pool_config!: ProxyPoolConfig;
}

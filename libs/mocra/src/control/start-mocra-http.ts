import type { AddressInfo } from 'node:net';
import { Logger, type INestApplication } from '@nestjs/common';
import type { MocraConfig } from '../config/mocra-config.js';
import { MOCRA_CONFIG } from '../mocra.tokens.js';

export interface MocraHttpOptions {
  /** Overrides `[api] port`; 0 picks a free port (tests). */
  port?: number;
  /** Overrides `[api] host`. */
  host?: string;
}

export interface MocraHttpAddress {
  host: string;
  port: number;
  /** `http://host:port`, ready for fetch. */
  url: string;
}

interface FastifyRouteOptions {
  bodyLimit?: number;
}

interface FastifyLike {
  addHook(name: 'onRoute', hook: (route: FastifyRouteOptions) => void): unknown;
}

/**
 * Serves a Nest app created on `FastifyAdapter` as `[api]` says: applies `body_limit` to every route (larger
 * bodies get 413) and listens on `host:port`. Call it instead of `app.listen()`, before `app.init()`: the limit
 * is attached as routes are registered. Without an `[api]` section the app is only initialised (the crawl runs,
 * no HTTP server) and the result is undefined.
 */
export async function startMocraHttp(
  app: INestApplication,
  options: MocraHttpOptions = {},
): Promise<MocraHttpAddress | undefined> {
  const config = app.get<MocraConfig>(MOCRA_CONFIG, { strict: false });
  const api = config.api;
  if (!api) {
    new Logger('mocra').log('no [api] section: the HTTP control plane is off');
    await app.init();
    return undefined;
  }
  const adapter = app.getHttpAdapter();
  if (adapter.getType() !== 'fastify') {
    throw new Error(
      `startMocraHttp: the app runs on the "${adapter.getType()}" adapter; create it with ` +
        '`NestFactory.create(AppModule, new FastifyAdapter())`',
    );
  }
  const fastify = adapter.getInstance() as FastifyLike;
  const bodyLimit = api.body_limit;
  fastify.addHook('onRoute', (route: FastifyRouteOptions) => {
    // A route that sets its own limit keeps it.
    route.bodyLimit ??= bodyLimit;
  });
  const host = options.host ?? api.host;
  await app.listen(options.port ?? api.port, host);
  const address = adapter.getHttpServer().address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { host: address.address, port: address.port, url: `http://${urlHost}:${address.port}` };
}

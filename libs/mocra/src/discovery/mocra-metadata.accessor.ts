import { Injectable, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { CrawlerModuleOptions } from '../decorators/crawler-module.decorator.js';
import type { MiddlewareOptions } from '../decorators/middleware.decorators.js';
import type { NodeMetadata } from '../decorators/node.decorator.js';
import {
  CRAWLER_MODULE_METADATA,
  DATA_MIDDLEWARE_METADATA,
  DOWNLOAD_MIDDLEWARE_METADATA,
  NEXT_METADATA,
  NODE_METADATA,
  STORE_MIDDLEWARE_METADATA,
} from '../mocra.constants.js';

type Target = Type<unknown> | ((...args: unknown[]) => unknown);

/** The one place that reads mocra decorator metadata. */
@Injectable()
export class MocraMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  crawlerModule(target: Target): CrawlerModuleOptions | undefined {
    return this.reflector.get<CrawlerModuleOptions | undefined>(CRAWLER_MODULE_METADATA, target);
  }

  node(target: Target): NodeMetadata | undefined {
    return this.reflector.get<NodeMetadata | undefined>(NODE_METADATA, target);
  }

  nextEdges(target: Target): string[] {
    return this.reflector.get<string[] | undefined>(NEXT_METADATA, target) ?? [];
  }

  downloadMiddleware(target: Target): Required<MiddlewareOptions> | undefined {
    return this.reflector.get<Required<MiddlewareOptions> | undefined>(DOWNLOAD_MIDDLEWARE_METADATA, target);
  }

  dataMiddleware(target: Target): Required<MiddlewareOptions> | undefined {
    return this.reflector.get<Required<MiddlewareOptions> | undefined>(DATA_MIDDLEWARE_METADATA, target);
  }

  storeMiddleware(target: Target): Required<MiddlewareOptions> | undefined {
    return this.reflector.get<Required<MiddlewareOptions> | undefined>(STORE_MIDDLEWARE_METADATA, target);
  }
}

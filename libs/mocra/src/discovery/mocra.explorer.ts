import { Injectable, type OnModuleInit, type Type } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { CrawlerModuleOptions } from '../decorators/crawler-module.decorator.js';
import type { MiddlewareOptions } from '../decorators/middleware.decorators.js';
import type { CrawlerModuleHooks, CrawlerNode } from '../engine/crawler-node.interface.js';
import type {
  DataMiddlewareHandler,
  DownloadMiddlewareHandler,
  StoreMiddlewareHandler,
} from '../middleware/middleware.interfaces.js';
import { MocraMessages } from '../mocra.messages.js';
import { MocraMetadataAccessor } from './mocra-metadata.accessor.js';

export interface DiscoveredModule {
  options: CrawlerModuleOptions;
  instance: CrawlerModuleHooks;
  className: string;
}

export interface DiscoveredMiddleware<H> {
  name: string;
  weight: number;
  global: boolean;
  instance: H;
  className: string;
}

/**
 * Finds crawler modules, nodes and middleware among all Nest providers at module init. It only records what it
 * finds: compiling happens in the registry, starting in the engine.
 */
@Injectable()
export class MocraExplorer implements OnModuleInit {
  readonly modules: DiscoveredModule[] = [];
  /** Node instances by their class (a node class may be listed by several modules). */
  readonly nodes = new Map<Type<unknown>, CrawlerNode>();
  readonly downloadMiddleware: DiscoveredMiddleware<DownloadMiddlewareHandler>[] = [];
  readonly dataMiddleware: DiscoveredMiddleware<DataMiddlewareHandler>[] = [];
  readonly storeMiddleware: DiscoveredMiddleware<StoreMiddlewareHandler>[] = [];
  private explored = false;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly accessor: MocraMetadataAccessor,
  ) {}

  onModuleInit(): void {
    this.explore();
  }

  /** Idempotent: the registry may ask before this provider's own onModuleInit has run. */
  explore(): void {
    if (this.explored) return;
    this.explored = true;
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object') continue;
      // The instance's class carries the metadata for class, value and factory providers alike.
      const metatype = instance.constructor as Type<unknown>;
      if (metatype === Object) continue;
      const className = metatype.name;
      const moduleOptions = this.accessor.crawlerModule(metatype);
      if (moduleOptions) {
        const dup = this.modules.find((m) => m.options.name === moduleOptions.name);
        if (dup) throw new Error(MocraMessages.duplicateModule(moduleOptions.name, dup.className, className));
        this.modules.push({ options: moduleOptions, instance: instance as CrawlerModuleHooks, className });
      }
      if (this.accessor.node(metatype)) this.nodes.set(metatype, instance as CrawlerNode);
      this.collect(
        this.downloadMiddleware,
        'download',
        this.accessor.downloadMiddleware(metatype),
        instance,
        className,
      );
      this.collect(this.dataMiddleware, 'data', this.accessor.dataMiddleware(metatype), instance, className);
      this.collect(
        this.storeMiddleware,
        'store',
        this.accessor.storeMiddleware(metatype),
        instance,
        className,
      );
    }
  }

  private collect<H>(
    into: DiscoveredMiddleware<H>[],
    kind: string,
    options: Required<MiddlewareOptions> | undefined,
    instance: object,
    className: string,
  ): void {
    if (!options) return;
    if (into.some((m) => m.name === options.name))
      throw new Error(MocraMessages.duplicateMiddleware(kind, options.name));
    into.push({
      name: options.name,
      weight: options.weight,
      global: options.global,
      instance: instance as H,
      className,
    });
  }
}

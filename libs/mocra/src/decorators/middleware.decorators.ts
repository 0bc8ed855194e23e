import { Injectable, SetMetadata, applyDecorators } from '@nestjs/common';
import {
  DATA_MIDDLEWARE_METADATA,
  DOWNLOAD_MIDDLEWARE_METADATA,
  STORE_MIDDLEWARE_METADATA,
} from '../mocra.constants.js';

export interface MiddlewareOptions {
  /** The name modules list in `downloadMiddleware` / `dataMiddleware` / `storeMiddleware`. */
  name: string;
  /** Lower runs first. Default 0. */
  weight?: number;
  /** Applies to every module without being listed. */
  global?: boolean;
}

function middlewareDecorator(metadataKey: string, options: MiddlewareOptions): ClassDecorator {
  if (!options.name) throw new Error(`middleware decorator: "name" is required`);
  return applyDecorators(Injectable(), SetMetadata(metadataKey, { weight: 0, global: false, ...options }));
}

export const DownloadMiddleware = (options: MiddlewareOptions): ClassDecorator =>
  middlewareDecorator(DOWNLOAD_MIDDLEWARE_METADATA, options);
export const DataMiddleware = (options: MiddlewareOptions): ClassDecorator =>
  middlewareDecorator(DATA_MIDDLEWARE_METADATA, options);
export const StoreMiddleware = (options: MiddlewareOptions): ClassDecorator =>
  middlewareDecorator(STORE_MIDDLEWARE_METADATA, options);

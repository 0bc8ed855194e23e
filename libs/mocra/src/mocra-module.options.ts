import type { ModuleMetadata, Provider, Type } from '@nestjs/common';
import type { Downloader } from './downloader/downloader.interface.js';

export interface MocraModuleOptions {
  /** A TOML file path, or a config object with the same (snake_case) keys. */
  config: string | Record<string, unknown>;
  /** Base directory for a relative config path; default: process.cwd(). */
  baseDir?: string;
}

export interface MocraOptionsFactory {
  createMocraOptions(): MocraModuleOptions | Promise<MocraModuleOptions>;
}

export interface MocraModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory?: (...args: never[]) => MocraModuleOptions | Promise<MocraModuleOptions>;
  inject?: Array<string | symbol | Type<unknown>>;
  useClass?: Type<MocraOptionsFactory>;
  useExisting?: Type<MocraOptionsFactory>;
  extraProviders?: Provider[];
}

/** Options that shape the module's providers, so they are given outside the (possibly async) config. */
export interface MocraModuleStaticOptions {
  /** Replaces the built-in downloader; the class is a normal Nest provider with DI. */
  downloader?: Type<Downloader>;
}

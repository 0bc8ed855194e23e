import type { MocraConfig } from '../config/mocra-config.js';
import { AxiosDownloader } from './axios.downloader.js';
import type { Downloader } from './downloader.interface.js';
import { UndiciDownloader } from './undici.downloader.js';

export const BUILT_IN_DOWNLOADERS = ['axios', 'request_downloader', 'undici'] as const;

/**
 * The downloader `download_config.downloader` names: "axios" (alias "request_downloader", the seed name) or
 * "undici". An unknown name fails with the choices, so a typo never silently falls back.
 */
export function createBuiltInDownloader(
  name: string,
  config: Pick<MocraConfig, 'download_config'>,
  options: { userAgent?: string } = {},
): Downloader {
  const poolSize = config.download_config.pool_size;
  switch (name) {
    case 'axios':
    case 'request_downloader':
      return new AxiosDownloader({ poolSize, ...options });
    case 'undici':
      return new UndiciDownloader({ poolSize, ...options });
    default:
      throw new Error(
        `download_config.downloader: unknown downloader "${name}" (built in: "axios" (alias "request_downloader"), ` +
          '"undici"); a custom one is given with MocraModule.forRoot({ config, downloader: MyDownloader })',
      );
  }
}

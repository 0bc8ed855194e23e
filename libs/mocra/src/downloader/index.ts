export type { Downloader, DownloadOptions } from './downloader.interface.js';
export { DownloadError, type DownloadErrorKind } from './download.error.js';
export { AxiosDownloader, type AxiosDownloaderOptions } from './axios.downloader.js';

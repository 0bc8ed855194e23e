/** Metadata keys of the mocra decorators (namespaced so they never collide with other libraries). */
export const CRAWLER_MODULE_METADATA = 'mocra:crawler-module';
export const NODE_METADATA = 'mocra:node';
export const NEXT_METADATA = 'mocra:next';
export const DOWNLOAD_MIDDLEWARE_METADATA = 'mocra:download-middleware';
export const DATA_MIDDLEWARE_METADATA = 'mocra:data-middleware';
export const STORE_MIDDLEWARE_METADATA = 'mocra:store-middleware';

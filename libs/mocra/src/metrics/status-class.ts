/** HTTP status grouped for the `status_class` label; `error` = no HTTP response (timeout, refused, reset). */
export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'error';

const CLASSES: readonly StatusClass[] = ['error', '1xx', '2xx', '3xx', '4xx', '5xx'];

/** Maps a status code to its class without building a string per response. */
export function statusClassOf(status: number | undefined): StatusClass {
  if (status === undefined || status < 100 || status > 599) return 'error';
  return CLASSES[Math.floor(status / 100)] ?? 'error';
}

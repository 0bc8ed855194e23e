export type { HttpMethod, Priority, RequestData, ResponseData } from './request-data.js';
export { Request, type ParamValue, type ParamsInit } from './request.js';
export { RequestError } from './request.error.js';
export {
  requestFingerprint,
  canonicalUrl,
  canonicalJson,
  FINGERPRINT_LENGTH,
  type FingerprintInput,
} from './request-fingerprint.js';
export { nextRequestId } from './request-id.js';
export { SeenSet } from './seen-set.js';
export { Response } from './response.js';
export { ResponseParseError } from './response-parse.error.js';
export { charsetOf, decodeBody } from './response-charset.js';

export { startXrootdEndpoint } from './endpoint.js';
export { XROOTD_BINARY } from './supervisor.js';
export { SERVICE_USER } from './run-dir.js';
export type { XrootdEmbargo, XrootdEndpoint, XrootdEndpointOptions } from './types.js';
export { XROOTD_TOKEN_CACHE_SECONDS } from './token-cache.js';

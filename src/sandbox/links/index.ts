export { startLinkProxy, defaultMaxQueuedBytes, type LinkProxy, type LinkProxyOptions, type LinkStats } from './proxy.js';
export { startLinks, type LinkSpec, type Links } from './links.js';
export { rewriteUrlPort } from './url.js';

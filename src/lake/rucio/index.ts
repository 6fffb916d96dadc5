export { RucioClient } from './client.js';
export { parseRucioDate, jwtExpiry } from './auth.js';
export { buildPfn, isLocalLfn2PfnAlgorithm, lfn2pfnPath, type Lfn2PfnAlgorithm } from './lfn2pfn.js';
export { NoProtocolError, selectProtocol, type ProtocolOperation } from './select-protocol.js';
export type * from './types.js';
export { describeCoverage, ruleCoverage, waitForRule, type RuleCoverage, type RuleWait, type WaitForRuleOptions } from './wait-rule.js';
export { MAX_REQUESTS_PER_POLL, TransferWatch, type TransferTimeline } from './transfer-watch.js';
export { transferProtocol, UNKNOWN_TRANSFER_PROTOCOL } from './transfer-protocol.js';

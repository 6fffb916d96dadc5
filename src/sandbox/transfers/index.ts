export {
  NO_SOURCES_ERROR,
  startTransferEngine,
  TRANSFERTOOL,
  type TransferCredentials,
  type TransferEngine,
  type TransferEngineOptions,
  type TransferEngineStats,
  type TransferEvent,
} from './engine.js';
export { reapOnce, type ReapedReplica, type ReapOptions, type ReapResult } from './reaper.js';
export { readTpcBody, runAttempt, type AttemptResult, type AttemptSpec, type TpcOutcome } from './transfer.js';

import { StorageError } from '../errors.js';
import { DavsDriver, type DavsDriverOptions } from './davs.js';
import type { StorageAuth, StorageDriver, StorageProtocol } from './driver.js';
import { GfalDriver, type GfalDriverOptions } from './gfal.js';
import { RootDriver } from './root.js';

export { DavsDriver, toHttpsUrl, type DavsDriverOptions, type PutBody } from './davs.js';
export type { ChecksumAlgorithm, StatResult, StorageAuth, StorageDriver, StorageProtocol } from './driver.js';
export { GfalDriver, type GfalDriverOptions } from './gfal.js';
export { RootDriver } from './root.js';
export type { ToolDriverOptions } from './tool.js';
export { DEFAULT_STORAGE_TIMEOUTS, resolveTimeouts, type StorageTimeouts } from './timeouts.js';

/** Options for any driver; each takes the ones it knows (timeoutMs and timeouts are common to all). */
export type StorageDriverOptions = DavsDriverOptions & GfalDriverOptions;

/** Tool drivers watch one limit (no progress for that long): the stall limit, or the one timeoutMs. */
function toolOptions(options: StorageDriverOptions): StorageDriverOptions {
  const stall = options.timeouts?.stallMs ?? options.timeoutMs;
  return stall === undefined ? options : { ...options, timeoutMs: stall };
}

/** The driver for `protocol`, presenting `auth`. */
export function createStorageDriver(protocol: StorageProtocol, auth: StorageAuth, options: StorageDriverOptions = {}): StorageDriver {
  switch (protocol) {
    case 'davs': return new DavsDriver(auth, options);
    case 'root': return new RootDriver(auth, toolOptions(options));
    case 'gfal': return new GfalDriver(auth, toolOptions(options));
  }
  // Plans are validated, but a protocol name can still come from an unchecked source.
  throw new StorageError(0, 'init', String(protocol), `no ${String(protocol)} storage driver in this build`);
}

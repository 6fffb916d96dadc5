import { StorageError } from '../errors.js';
import { DavsDriver, type DavsDriverOptions } from './davs.js';
import type { StorageAuth, StorageDriver, StorageProtocol } from './driver.js';

export { DavsDriver, toHttpsUrl, type DavsDriverOptions, type PutBody } from './davs.js';
export type { ChecksumAlgorithm, StatResult, StorageAuth, StorageDriver, StorageProtocol } from './driver.js';

/** The driver for `protocol`, presenting `auth`. */
export function createStorageDriver(protocol: StorageProtocol, auth: StorageAuth, options: DavsDriverOptions = {}): StorageDriver {
  if (protocol === 'davs') return new DavsDriver(auth, options);
  throw new StorageError(0, 'init', protocol, `no ${protocol} storage driver in this build`);
}

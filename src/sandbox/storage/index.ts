export { startStorageEndpoint } from './endpoint.js';
export { Adler32, chooseDigest, fileDigest, type DigestAlgorithm } from './digest.js';
export type {
  AccessRecord,
  EmbargoPolicy,
  StorageEndpoint,
  StorageEndpointOptions,
  StorageTokenClaims,
} from './types.js';

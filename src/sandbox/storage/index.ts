export { startStorageEndpoint } from './endpoint.js';
export { chooseDigest, fileDigest, type DigestAlgorithm } from './digest.js';
export type {
  AccessRecord,
  EmbargoPolicy,
  StorageEndpoint,
  StorageEndpointOptions,
  StorageTokenClaims,
} from './types.js';

export { startTokenIssuer, type MintOptions, type TokenIssuer, type TokenIssuerOptions } from './issuer.js';
export {
  asWlcgClaims, audienceAccepted, SANDBOX_STORAGE_AUDIENCES, verifyWithJwks, WLCG_ANY_AUDIENCE, type WlcgClaims,
} from './claims.js';
export { grantsStorage, pathWithin, scopeAllowed, type StorageAction } from './scopes.js';
export type { TokenClient } from './token-endpoint.js';

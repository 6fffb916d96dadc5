export { startTokenIssuer, type MintOptions, type TokenIssuer, type TokenIssuerOptions } from './issuer.js';
export {
  asWlcgClaims, audienceAccepted, SANDBOX_STORAGE_AUDIENCES, verifyWithJwks, WLCG_ANY_AUDIENCE, type WlcgClaims,
} from './claims.js';
export { grantsStorage, pathWithin, scopeAllowed, type StorageAction } from './scopes.js';
export {
  GRANT_CLIENT_CREDENTIALS, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS, type GrantType, type TokenClient,
} from './token-endpoint.js';

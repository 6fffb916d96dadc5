export type { BearerToken, TrustAnchors, X509Credential } from './types.js';
export { loadX509CertKey, loadX509Proxy, isProxyCertificate, type X509LoadOptions } from './x509.js';
export { loadBearerToken, type TokenLoadOptions } from './token.js';
export { loadTrustAnchors } from './trust.js';
export { describeCredential } from './describe.js';
export type { ReadOptions } from './read.js';
export { tokenSecretValues, tokenFileSecretValues, privateKeySecretValues, privateKeyFileSecretValues } from './secret-values.js';
export {
  forgetIssuedTokens, issuedToken, issuedTokenStates, type IssuedTokenSpec, type IssuedTokenState,
} from './token-renewal.js';
export { OAuthClient, describeRequest, type OAuthGrant, type TokenRequest } from './oauth.js';
export { endpointAudience, leastStorageScope } from './operation-scope.js';
export { collectTokenUses, describeTokenUses, noteTokenUse, tokenUse, MAX_TOKEN_USES } from './token-use.js';

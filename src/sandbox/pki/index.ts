export { ensurePki, type SandboxPki, type SandboxUser, type SandboxUserName } from './ensure-pki.js';
export { makeProxy, PROXY_CERT_INFO_OID } from './proxy.js';
export { verifyClientChain, type ChainVerification } from './verify-chain.js';
export { slashDn } from './distinguished-name.js';
export { makeVomsProxy, writeVomsDir } from './voms.js';

// The sandbox issuer's registered client, as an IAM administrator registers one for a
// probe: a secret, the grants it may use and its scopes. Its secret and a
// refresh token of the member (as oidc-agent keeps one) are written for plans to name.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FULL_STORAGE_SCOPE } from './config.js';
import {
  GRANT_CLIENT_CREDENTIALS, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE, type TokenClient, type TokenIssuer,
} from './tokens/index.js';

export const SANDBOX_CLIENT_ID = 'lakeprobe';

export interface SandboxOAuthClient {
  clientId: string;
  secretFile: string;
  refreshTokenFile: string;
}

/** The client, with a fresh secret; its tokens are the member's (the catalogue maps `sub=member`), for any audience. */
export function sandboxClient(groups: string[]): TokenClient {
  return {
    id: SANDBOX_CLIENT_ID,
    secret: randomBytes(24).toString('base64url'),
    sub: 'member',
    scope: FULL_STORAGE_SCOPE,
    groups,
    grantTypes: [GRANT_CLIENT_CREDENTIALS, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE],
  };
}

export async function writeSandboxClient(dir: string, issuer: TokenIssuer, client: TokenClient): Promise<SandboxOAuthClient> {
  const tokenDir = join(dir, 'tokens');
  await mkdir(tokenDir, { recursive: true, mode: 0o700 });
  const secretFile = join(tokenDir, 'client.secret');
  const refreshTokenFile = join(tokenDir, 'member.refresh');
  await writeFile(secretFile, `${client.secret}\n`, { mode: 0o600 });
  const refresh = issuer.issueRefreshToken({
    clientId: client.id, sub: 'member', scope: client.scope, ...(client.groups ? { groups: client.groups } : {}),
  });
  await writeFile(refreshTokenFile, `${refresh}\n`, { mode: 0o600 });
  return { clientId: client.id, secretFile, refreshTokenFile };
}

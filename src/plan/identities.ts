// Identities other than the one a run logs in as (e.g. an embargo check's outsider), named
// by role in a plan and found in the environment: LAKEPROBE_<ROLE>_PROXY and
// LAKEPROBE_<ROLE>_TOKEN_FILE. The sandbox sets them for its own identities wherever its
// folder is, so a plan never names a path inside a sandbox folder.

export const IDENTITY_ROLES = ['nonmember'] as const;
export type IdentityRole = (typeof IDENTITY_ROLES)[number];

export interface IdentityFiles {
  proxy?: string;
  tokenFile?: string;
}

export function identityEnvNames(role: IdentityRole): { proxy: string; tokenFile: string } {
  const prefix = `LAKEPROBE_${role.toUpperCase()}`;
  return { proxy: `${prefix}_PROXY`, tokenFile: `${prefix}_TOKEN_FILE` };
}

/** The credential files of each role the environment names. */
export function identitiesFromEnv(env: Record<string, string | undefined>): Partial<Record<IdentityRole, IdentityFiles>> {
  const found: Partial<Record<IdentityRole, IdentityFiles>> = {};
  for (const role of IDENTITY_ROLES) {
    const names = identityEnvNames(role);
    const files: IdentityFiles = {
      ...(env[names.proxy] ? { proxy: env[names.proxy] } : {}),
      ...(env[names.tokenFile] ? { tokenFile: env[names.tokenFile] } : {}),
    };
    if (files.proxy || files.tokenFile) found[role] = files;
  }
  return found;
}

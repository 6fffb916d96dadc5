// The credentials the grid conventions name in the environment, whether the plan uses them
// or not (a sandbox plan ignores BEARER_TOKEN; a user scenario may still read it): their
// values and files are secrets to redact like the plan's own.
import { join, resolve } from 'node:path';

export interface EnvCredentialSources {
  tokens: string[];
  tokenFiles: string[];
  /** PEM files holding a private key (x509 proxies). */
  keyFiles: string[];
}

export function envCredentialSources(env: Record<string, string | undefined>, uid: number): EnvCredentialSources {
  const present = (values: (string | undefined)[]): string[] => [...new Set(values.filter((v): v is string => Boolean(v)))];
  return {
    tokens: present([env.BEARER_TOKEN]),
    tokenFiles: present([
      env.BEARER_TOKEN_FILE && resolve(env.BEARER_TOKEN_FILE),
      env.XDG_RUNTIME_DIR && join(env.XDG_RUNTIME_DIR, `bt_u${uid}`), `/tmp/bt_u${uid}`,
    ]),
    keyFiles: present([env.X509_USER_PROXY && resolve(env.X509_USER_PROXY), `/tmp/x509up_u${uid}`]),
  };
}

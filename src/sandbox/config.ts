// What the sandbox lake is made of. Names follow Rucio's RSE syntax.

export interface SandboxRseSpec {
  name: string;
  deterministic: boolean;
  attributes: Record<string, string | boolean | number>;
}

export const SANDBOX_VO = 'def';
export const SANDBOX_ACCOUNT = 'root';
/** The plain account of the member identities when the sandbox config says `catalogue.account: probe`. */
export const PROBE_ACCOUNT = 'probe';
export const SANDBOX_USERNAME = 'ddmlab';
/** Account of the non-member identities (embargo tests). */
export const OUTSIDER_ACCOUNT = 'outsider';
/** Path prefix of Rucio data on every sandbox RSE. */
export const DATA_PREFIX = '/rucio';
export const EMBARGO_PATH = '/embargo';
export const EMBARGO_GROUP = '/lakeprobe/embargo';
export const SCOPES = ['user.root', 'lakeprobe'];

/** The member identities' account and the scopes it owns. */
export function memberAccount(kind: 'root' | 'probe'): { account: string; scopes: string[] } {
  return kind === 'probe' ? { account: PROBE_ACCOUNT, scopes: [`user.${PROBE_ACCOUNT}`, 'lakeprobe'] } : { account: SANDBOX_ACCOUNT, scopes: SCOPES };
}
/** A scope only the member account may touch (the catalogue side of the embargo). */
export const EMBARGO_SCOPE = 'embargoed';
/** Account limit set for root on every RSE: 1 TB. */
export const ACCOUNT_LIMIT_BYTES = 1_000_000_000_000;

export const SANDBOX_RSES: SandboxRseSpec[] = [
  { name: 'SANDBOX-FAST', deterministic: true, attributes: { QOS: 'FAST', site: 'SANDBOX', tier: 1 } },
  { name: 'SANDBOX-SAFE', deterministic: true, attributes: { QOS: 'SAFE', site: 'SANDBOX', tier: 1 } },
  { name: 'SANDBOX-NONDET', deterministic: false, attributes: { QOS: 'SAFE', site: 'SANDBOX', tier: 2 } },
];

/** The token audiences: Rucio accepts 'rucio'; storage accepts the WLCG 'any' audience. */
export const TOKEN_AUDIENCE = ['rucio', 'https://wlcg.cern.ch/jwt/v1/any'];
export const FULL_STORAGE_SCOPE = 'openid profile storage.read:/ storage.create:/ storage.modify:/';
export const READ_ONLY_SCOPE = 'openid profile storage.read:/';
/** The non-member may use the Rucio data area, not /embargo. */
export const NONMEMBER_SCOPE = 'openid profile storage.read:/rucio storage.create:/rucio storage.modify:/rucio';

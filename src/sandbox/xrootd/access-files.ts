// The files through which xrootd decides who may do what: the gridmap (DN → user),
// the authorization database for x509 users, and the SciTokens issuer configuration.
import { SANDBOX_STORAGE_AUDIENCES, WLCG_ANY_AUDIENCE } from '../tokens/claims.js';
import type { XrootdEmbargo } from './types.js';

/** Audiences a sandbox token may carry: the WLCG "any" audience and Rucio's. */
export const TOKEN_AUDIENCES = SANDBOX_STORAGE_AUDIENCES;

const USER_NAME = /^[A-Za-z0-9._-]+$/;

function checkedUser(user: string): string {
  if (!USER_NAME.test(user)) throw new RangeError(`gridmap user name ${JSON.stringify(user)} is not a plain identifier`);
  return user;
}

const GROUP_NAME = /^\/[A-Za-z0-9._\-/]+$/;

function checkedGroup(group: string): string {
  if (!GROUP_NAME.test(group)) throw new RangeError(`VOMS group ${JSON.stringify(group)} is not a slash path`);
  return group;
}

/** `"<DN>" <user>` lines, the format XrdOucGMap and the gsi protocol read. */
export function renderGridmap(map: Record<string, string>): string {
  return Object.entries(map)
    .map(([dn, user]) => {
      if (!dn.startsWith('/') || /["\n]/.test(dn)) throw new RangeError(`not a slash-form DN: ${JSON.stringify(dn)}`);
      return `"${dn}" ${checkedUser(user)}\n`;
    })
    .join('');
}

/**
 * One `u` line per mapped user. Every mapped user may do everything outside the
 * embargoed tree; inside it only users mapped from a member DN, unless the embargo is
 * open. A negative right always wins in XrdAcc, so a non-member's `-a` on the embargo
 * path cannot be undone by another entry. Tokens never reach these lines with rights:
 * SciTokens grants by scope, and a token whose scopes fall short is anonymous here.
 *
 * With `groupGrant`, members of that VOMS group (FQAN group, e.g. `/lakeprobe/embargo`)
 * may use the embargoed tree too. The non-member's entry then grants nothing there
 * (`-`: no rights either way) instead of `-a`, so that the group's right can apply;
 * for one id the longest path wins, so the `/ a` entry still stops short of it.
 */
export function renderAuthdb(
  map: Record<string, string>,
  embargo: XrootdEmbargo,
  embargoOpen: boolean,
  groupGrant?: string,
): string {
  const memberUsers = new Set(embargo.members.flatMap((dn) => (map[dn] === undefined ? [] : [map[dn]])));
  const users = [...new Set(Object.values(map).map(checkedUser))].sort();
  const outside = groupGrant === undefined ? '-a' : '-';
  const lines = users.map((user) =>
    embargoOpen || memberUsers.has(user) ? `u ${user} / a` : `u ${user} ${embargo.path} ${outside} / a`,
  );
  if (groupGrant !== undefined) lines.push(`g ${checkedGroup(groupGrant)} ${embargo.path} a`);
  return `${lines.join('\n')}\n`;
}

/**
 * Trust one issuer for the whole namespace; requests without a token fall through to the
 * authdb. `ownAudiences` replace the sandbox's audiences by the endpoint's own URLs (WLCG's
 * any audience stays), as a site that sets `aud` to its endpoint.
 */
export function renderScitokensConfig(issuerUrl: string, ownAudiences?: readonly string[]): string {
  const audiences = ownAudiences ? [...ownAudiences, WLCG_ANY_AUDIENCE] : TOKEN_AUDIENCES;
  return [
    '[Global]',
    `audience = ${audiences.join(', ')}`,
    'onmissing = passthrough',
    '',
    '[Issuer sandbox]',
    `issuer = ${issuerUrl}`,
    'base_path = /',
    '',
  ].join('\n');
}

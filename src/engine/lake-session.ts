import type { ResolvedPlan } from '../plan/index.js';
import { endpointAudience, issuedToken, leastStorageScope, loadBearerToken, loadTrustAnchors, loadX509CertKey, loadX509Proxy } from '../lake/credentials/index.js';
import type { BearerToken, X509Credential } from '../lake/credentials/types.js';
import type { IssuedTokenSpec } from '../lake/credentials/token-renewal.js';
import { CredentialError } from '../lake/errors.js';
import { withTokenRefusals } from '../lake/credentials/token-refusal.js';
import { RucioClient, type RucioAuth } from '../lake/rucio/index.js';
import { createStorageDriver } from '../lake/storage/index.js';
import type { StorageAuth, StorageDriver, StorageProtocol } from '../lake/storage/driver.js';
import type { AuthMethod } from './op-result.js';

/** The lake as one identity sees it: a Rucio client and storage drivers with matching credentials. */
export interface LakeSession {
  method: AuthMethod;
  account: string;
  rucio: RucioClient;
  storage(protocol: StorageProtocol): StorageDriver;
  /** A driver for another identity's credential files, with this session's trust anchors. */
  storageAs(protocol: StorageProtocol, identity: { proxy?: string; tokenFile?: string }): Promise<StorageDriver>;
  /** Secret values of this session, for redaction of recorded messages. */
  secrets: string[];
  /** Safe description of the identity (DN or token subject), for logs. */
  identity: string;
  /** Closes kept-alive connections (catalogue and storage); a run of many sessions must not pile them up. */
  close?(): void;
}

/** Drivers that hold connections (WebDAV keeps sockets alive); tool drivers hold none. */
function closeDriver(driver: StorageDriver): void {
  (driver as { close?: () => void }).close?.();
}

/** Per storage request, a token of the endpoint's audience and the least path scope (WLCG token profile). */
function perOperationTokens(
  spec: IssuedTokenSpec, opts: { ca: string[]; insecure: boolean }, secrets: string[], closers: (() => void)[],
): NonNullable<StorageAuth['tokenFor']> {
  const subscribed = new Set<BearerToken>();
  return async (url, method) => {
    const live = await issuedToken(
      { ...spec, audience: endpointAudience(url), scope: leastStorageScope(method, url.pathname) },
      opts,
      (value) => {
        if (!secrets.includes(value)) secrets.push(value);
      },
    );
    // One listener per token for the session, however many requests use it.
    if (subscribed.has(live.token)) live.unsubscribe();
    else {
      subscribed.add(live.token);
      closers.push(live.unsubscribe);
    }
    return live.token;
  };
}

/** Auth methods the plan has credentials for, in a stable order. */
export function configuredAuthMethods(plan: ResolvedPlan): AuthMethod[] {
  const methods: AuthMethod[] = [];
  if (plan.credentials.userpass) methods.push('userpass');
  if (plan.credentials.x509) methods.push('x509');
  if (plan.credentials.token) methods.push('token');
  return methods;
}

/**
 * The auth methods that log in to the catalogue: those the plan's tests log in with (a test's
 * `auth`, or every configured method for a test that names none) and that have credentials.
 * An x509 proxy the plan holds only for storage (userpass sessions reach storage with it) is
 * not among them unless a test logs in with x509.
 */
export function catalogueAuthMethods(plan: ResolvedPlan): AuthMethod[] {
  const configured = configuredAuthMethods(plan);
  const used = new Set(plan.experiments.flatMap((e) => e.tests.flatMap((t) => t.auth ?? configured)));
  return configured.filter((m) => used.has(m));
}

/**
 * Loads the credentials for one auth method and builds the clients. Catalogue and
 * storage use what real lakes use: userpass and x509 sessions reach storage with
 * the x509 proxy, token sessions with the same bearer token.
 */
export async function openLakeSession(plan: ResolvedPlan, method: AuthMethod, now = new Date()): Promise<LakeSession> {
  const { lake, credentials } = plan;
  if (!lake.rucioHost || !lake.account) {
    throw new CredentialError('missing', 'lake', 'no rucio_host/account: set them in the plan or rucio.cfg');
  }
  const ca = lake.caPath ? await loadTrustAnchors(lake.caPath) : [];
  const loadX509 = async (): Promise<X509Credential> => {
    const x = credentials.x509;
    if (!x) throw new CredentialError('missing', 'credentials.x509', 'no x509 proxy or certificate configured');
    return 'proxy' in x ? loadX509Proxy(x.proxy, { now }) : loadX509CertKey(x.cert, x.key, { now });
  };
  let auth: RucioAuth;
  let storageAuth: StorageAuth;
  let identity: string;
  const secrets: string[] = [];
  const closers: (() => void)[] = [];
  let tokenFor: StorageAuth['tokenFor'];
  if (method === 'token') {
    const source = credentials.token;
    if (!source) throw new CredentialError('missing', 'credentials.token', 'no bearer token configured');
    let token: BearerToken;
    if ('issued' in source) {
      // Obtained from the issuer (or the process's live token); renewed ahead of expiry at each use.
      const live = await issuedToken(source.issued, { ca, insecure: lake.insecure }, (value) => {
        if (!secrets.includes(value)) secrets.push(value);
      });
      token = live.token;
      closers.push(live.unsubscribe);
      secrets.push(source.issued.clientSecret);
      if (source.issued.perOperation) tokenFor = perOperationTokens(source.issued, { ca, insecure: lake.insecure }, secrets, closers);
    } else {
      token = await loadBearerToken(source, { now });
      secrets.push(token.token);
    }
    auth = { method: 'token', token };
    storageAuth = { token, ca, insecure: lake.insecure, ...(tokenFor ? { tokenFor } : {}) };
    identity = `token sub=${String(token.claims?.sub ?? '?')}`;
  } else {
    const x509 = credentials.x509 ? await loadX509() : undefined;
    if (method === 'userpass') {
      const up = credentials.userpass;
      if (!up) throw new CredentialError('missing', 'credentials.userpass', 'no username/password configured');
      secrets.push(up.password);
      auth = { method: 'userpass', username: up.username, password: up.password };
      identity = `userpass ${up.username}`;
    } else {
      auth = { method: 'x509', credential: x509 ?? (await loadX509()) };
      identity = `x509 ${x509?.subjectSlash ?? ''}`;
    }
    storageAuth = { x509, ca, insecure: lake.insecure };
  }
  const rucio = new RucioClient({
    rucioHost: lake.rucioHost, authHost: lake.authHost ?? lake.rucioHost, account: lake.account,
    vo: lake.vo, auth, ca, insecure: lake.insecure, appId: 'lakeprobe',
    ...(lake.storageTimeouts && { timeouts: lake.storageTimeouts }),
  });
  const drivers = new Map<StorageProtocol, StorageDriver>();
  const storageOptions = lake.storageTimeouts ? { timeouts: lake.storageTimeouts } : {};
  const others: StorageDriver[] = [];
  const other = (driver: StorageDriver): StorageDriver => {
    others.push(driver);
    return driver;
  };
  return {
    method, account: lake.account, rucio, secrets, identity,
    async storageAs(protocol, who) {
      if (who.tokenFile) {
        const token = await loadBearerToken({ file: who.tokenFile }, { now });
        secrets.push(token.token);
        return other(withTokenRefusals(createStorageDriver(protocol, { token, ca, insecure: lake.insecure }, storageOptions), token));
      }
      if (!who.proxy) throw new CredentialError('missing', 'identity', 'give a proxy or a token file');
      return other(createStorageDriver(protocol, { x509: await loadX509Proxy(who.proxy, { now }), ca, insecure: lake.insecure }, storageOptions));
    },
    close() {
      for (const close of closers.splice(0)) close();
      rucio.close();
      for (const driver of [...drivers.values(), ...others.splice(0)]) closeDriver(driver);
      drivers.clear();
    },
    storage(protocol) {
      let driver = drivers.get(protocol);
      if (!driver) {
        driver = createStorageDriver(protocol, storageAuth, storageOptions);
        // A token session's storage refusals name the token (iss, aud, scope, exp) and read its expiry.
        if (storageAuth.token) driver = withTokenRefusals(driver, storageAuth.token);
        drivers.set(protocol, driver);
      }
      return driver;
    },
  };
}

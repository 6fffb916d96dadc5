// How long XRootD keeps accepting a bearer token it has once authorized: a fact of the
// server, not a setting. XrdAccSciTokens (XRootD 5.5.3, Debian 12) keeps the rights it
// derived from a token in a per-process map keyed by the token string. The entry's
// lifetime is meant to be the token's remaining validity, but it is computed as
// max(monotonic seconds since boot − exp, 60), which is always 60: the entry lives 60 s
// from the request that first presented the token (monotonic clock, whole seconds,
// rounded), and until then the token is not looked at again, so it is accepted past its
// exp. No directive of xrootd.cfg or scitokens.cfg changes that (the 60 is a constant);
// XRootD 5.9.3 bounds the entry by exp ("Fix ACL cache TTL computation from token expiry").
//
// What holds over https (test/sandbox/xrootd/token-expiry.test.ts; root:// tokens, through
// ztn, go through the same map):
// - a token presented for the first time after its exp is refused (403): scitokens-cpp
//   0.7.3 checks exp with no leeway;
// - a token presented before its exp is accepted until XROOTD_TOKEN_CACHE_SECONDS
//   (+ up to 1 s of rounding) after that first request, even if it expires meanwhile:
//   at most 61 s past its exp;
// - restarting the xrootd process (a fault that rewrites its files does) forgets the map.
// lakeprobe's builtin storage refuses an expired token at once.

/** XrdAccSciTokens' cache lifetime for an authorized token (XRootD 5.5.3: fixed). */
export const XROOTD_TOKEN_CACHE_SECONDS = 60;

#!/usr/bin/env bash
# The Debian packages the tests, the benches and `sandbox up --storage xrootd` run for
# real, installed with --no-install-recommends: so every plug-in is named here, none
# arrives as a Recommends by luck. Then a smoke check of each tool for the protocol the
# tests use, each bounded in time, failing with the missing package's name.
#
#   bash scripts/install-debian-packages.sh              install what is missing (root), then smoke-check
#   bash scripts/install-debian-packages.sh --if-missing what `npm test` runs first: a dpkg-query only
#                                                        when all is present; otherwise install (root)
#                                                        or stop with the command to run
#   bash scripts/install-debian-packages.sh --smoke      the smoke check alone
#   bash scripts/install-debian-packages.sh --list       the package names, one a line
set -euo pipefail

# package                     what needs it
table='
openssl                       sandbox PKI (CA, host and user certificates, proxies), test PKI helpers
xrootd-server                 xrootd binary: sandbox XRootD RSEs and the root:// / XrdHttp test servers
xrootd-server-plugins         libXrdHttp (HTTPS/WebDAV on xrootd) and libXrdHttpTPC (HTTP third-party copy)
xrootd-plugins                libXrdSec with gsi and ztn (root:// authentication), checksum calculators
xrootd-scitokens-plugins      libXrdAccSciTokens: WLCG token authorization on the xrootd RSEs
xrootd-voms-plugins           libXrdVoms / libXrdHttpVOMS: VOMS attributes (VO groups) on the xrootd RSEs
xrootd-client                 xrdcp, xrdfs: the root storage driver and the root:// tests
xrootd-client-http-plugins    libXrdClHttp: XrdCl (xrdcp, gfal2 xrootd plugin) speaking http(s)
voms-clients                  voms-proxy-fake: VOMS proxies signed by the sandbox VOMS
davix                         libdavix and davix-* tools: the HTTP stack under gfal2-plugin-http
gfal2                         gfal2 core library for the gfal storage driver
gfal2-plugin-file             gfal2 file:// (the driver copies from a local spool file)
gfal2-plugin-http             gfal2 davs:// and https://
gfal2-plugin-xrootd           gfal2 root://
gfal2-util-scripts            gfal-copy, gfal-stat, gfal-sum, gfal-rm, gfal-mkdir, gfal-cat (the gfal driver)
prometheus                    prometheus and promtool: metric exposition and alert-rule checks
prometheus-pushgateway        the Pushgateway the metrics integration test pushes to
chromium                      headless browser for the dashboard and status-page checks (playwright-core)
postgresql-15                 initdb and postgres: the shared PostgreSQL results store the store tests start on loopback
'
mapfile -t packages < <(awk 'NF { print $1 }' <<<"$table")

mode=install
case "${1:-}" in
  '') ;;
  --if-missing) mode=if-missing ;;
  --smoke) mode=smoke ;;
  --list) printf '%s\n' "${packages[@]}"; exit 0 ;;
  *) echo "usage: $0 [--if-missing | --smoke | --list]" >&2; exit 2 ;;
esac
self="scripts/install-debian-packages.sh"

missing_packages() {
  local p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}

install_missing() {
  local missing=("$@")
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      exec sudo -n bash "$self"
    fi
    echo "debian packages missing (${missing[*]}): run  sudo bash $self" >&2
    exit 1
  fi
  echo "debian packages: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# --- smoke checks -----------------------------------------------------------------
work=''
failures=0
fail() { echo "smoke: FAIL $1 (Debian package $2): $3" >&2; failures=$((failures + 1)); }
# Runs a command bounded in time; its output goes to $work/out.
bounded() { local secs=$1; shift; timeout --kill-after=2 "$secs" "$@" >"$work/out" 2>&1; }
has_lib() { compgen -G "/usr/lib/*/$1" >/dev/null || compgen -G "/usr/lib/$1" >/dev/null; }
check_lib() { has_lib "$1" || fail "$1" "$2" 'library not found'; }
# gfal2 says "Protocol not supported" (93) when no plug-in takes the scheme; a refused
# connection to port 1 proves the plug-in loaded.
check_gfal_scheme() {
  local url=$1 pkg=$2
  bounded 20 env GFAL_PYTHONBIN=/usr/bin/python3 XRD_CONNECTIONRETRY=1 XRD_REQUESTTIMEOUT=5 gfal-stat "$url" || true
  if grep -q 'Protocol not supported' "$work/out" || ! grep -qi 'refused\|could not connect\|host is down' "$work/out"; then
    fail "gfal-stat $url" "$pkg" "$(head -c 200 "$work/out")"
  fi
}

smoke() {
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  printf 'lakeprobe smoke\n' >"$work/src"

  bounded 10 openssl version || fail openssl openssl "$(head -c 200 "$work/out")"
  bounded 10 xrootd -v || fail 'xrootd -v' xrootd-server "$(head -c 200 "$work/out")"
  id -u xrootd >/dev/null 2>&1 || fail 'user xrootd' xrootd-server 'the package creates it; the test servers drop to it when run as root'
  check_lib 'libXrdHttp-5.so' xrootd-server-plugins
  check_lib 'libXrdHttpTPC-5.so' xrootd-server-plugins
  check_lib 'libXrdSec-5.so' xrootd-plugins
  check_lib 'libXrdSecgsi-5.so' xrootd-plugins
  check_lib 'libXrdSecztn-5.so' xrootd-plugins
  check_lib 'libXrdAccSciTokens-5.so' xrootd-scitokens-plugins
  check_lib 'libXrdVoms-5.so' xrootd-voms-plugins
  check_lib 'libXrdHttpVOMS-5.so' xrootd-voms-plugins
  check_lib 'libXrdClHttp-5.so' xrootd-client-http-plugins
  if bounded 10 xrdcp --nopbar -f "$work/src" "$work/xrdcp.out" && cmp -s "$work/src" "$work/xrdcp.out"; then :; else
    fail 'xrdcp local copy' xrootd-client "$(head -c 200 "$work/out")"
  fi
  command -v xrdfs >/dev/null || fail xrdfs xrootd-client 'not on PATH'
  bounded 10 voms-proxy-fake --version || fail voms-proxy-fake voms-clients "$(head -c 200 "$work/out")"
  bounded 10 davix-get --version || fail davix-get davix "$(head -c 200 "$work/out")"
  local p
  for p in gfal-copy gfal-stat gfal-sum gfal-rm gfal-mkdir gfal-cat; do
    command -v "$p" >/dev/null || fail "$p" gfal2-util-scripts 'not on PATH'
  done
  if bounded 20 env GFAL_PYTHONBIN=/usr/bin/python3 gfal-copy -f "file://$work/src" "file://$work/gfal.out" \
    && cmp -s "$work/src" "$work/gfal.out"; then :; else
    fail 'gfal-copy file:// -> file://' 'gfal2-plugin-file' "$(head -c 200 "$work/out")"
  fi
  check_gfal_scheme 'https://127.0.0.1:1/lakeprobe-smoke' gfal2-plugin-http
  check_gfal_scheme 'root://127.0.0.1:1//lakeprobe-smoke' gfal2-plugin-xrootd
  bounded 10 prometheus --version || fail prometheus prometheus "$(head -c 200 "$work/out")"
  printf 'global:\n  scrape_interval: 15s\n' >"$work/prometheus.yml"
  bounded 10 promtool check config "$work/prometheus.yml" || fail 'promtool check config' prometheus "$(head -c 200 "$work/out")"
  bounded 10 prometheus-pushgateway --version || fail prometheus-pushgateway prometheus-pushgateway "$(head -c 200 "$work/out")"
  bounded 10 /usr/lib/postgresql/15/bin/postgres --version || fail 'postgres --version' postgresql-15 "$(head -c 200 "$work/out")"
  id -u postgres >/dev/null 2>&1 || fail 'user postgres' postgresql-15 'the package creates it; the test servers run as it when started as root'
  if bounded 30 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$work/chromium" \
    --dump-dom 'data:text/html,<p>lakeprobe-smoke-ok</p>' && grep -q 'lakeprobe-smoke-ok' "$work/out"; then :; else
    fail 'chromium --headless --dump-dom' chromium "$(head -c 200 "$work/out")"
  fi

  if [ "$failures" -ne 0 ]; then
    echo "smoke: $failures check(s) failed; install with: sudo bash $self" >&2
    exit 1
  fi
  echo "smoke: all tools answer (${#packages[@]} packages)"
}

command -v dpkg-query >/dev/null || { echo "the tests need Debian packages (dpkg-query not found): see $self" >&2; exit 1; }
cd "$(dirname "$0")/.."
case "$mode" in
  smoke) smoke ;;
  if-missing)
    mapfile -t missing < <(missing_packages)
    [ "${#missing[@]}" -eq 0 ] && exit 0
    install_missing "${missing[@]}"
    smoke
    ;;
  install)
    mapfile -t missing < <(missing_packages)
    if [ "${#missing[@]}" -eq 0 ]; then
      echo "debian packages: all present (${packages[*]})"
    else
      install_missing "${missing[@]}"
    fi
    smoke
    ;;
esac

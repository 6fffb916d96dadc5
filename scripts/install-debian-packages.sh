#!/usr/bin/env bash
# Installs the Debian packages the tests and `sandbox up --storage xrootd` use for
# real: openssl (grid-style certificates), XRootD with HTTPS/TPC/SciTokens/VOMS
# plugins and its clients, gfal2 with its http and xrootd plugins, and the
# Prometheus Pushgateway. Run as root (CI does).
set -euo pipefail
packages=(
  openssl prometheus-pushgateway
  xrootd-server xrootd-server-plugins xrootd-plugins xrootd-client xrootd-client-http-plugins
  xrootd-scitokens-plugins xrootd-voms-plugins voms-clients davix
  gfal2 gfal2-plugin-file gfal2-plugin-http gfal2-plugin-xrootd gfal2-util-scripts
  prometheus chromium
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "debian packages: all present (${packages[*]})"
  exit 0
fi
echo "debian packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

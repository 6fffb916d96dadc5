#!/usr/bin/env bash
# Installs the Debian packages the tests use for real: openssl (grid-style
# certificates) and the Prometheus Pushgateway. Run as root (CI does).
set -euo pipefail
packages=(openssl prometheus-pushgateway)
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

#!/usr/bin/env bash
# Simulates a pristine machine for the project's own Debian packages, then runs the
# README's test command in a fresh clone of HEAD with CI=true and prints its closing
# line and duration.
#
#   sudo bash scripts/fresh-machine-check.sh            purge, clone, npm ci, npm test
#   bash scripts/fresh-machine-check.sh --dry-run       print what would be purged and run; change nothing
#   sudo bash scripts/fresh-machine-check.sh --busy     the same with every core kept busy for the whole run
#   sudo bash scripts/fresh-machine-check.sh --no-purge clone and test only (packages stay as they are)
#
# What is purged: the packages scripts/install-debian-packages.sh lists, plus the
# dependencies apt installed automatically for them and nothing else needs. A listed
# package that some package outside that set depends on is kept (and named), and so
# is whatever apt would already autoremove before the purge: nothing else is touched.
set -euo pipefail

dry_run=0 busy=0 purge=1
for arg in "$@"; do
  case "$arg" in
    --dry-run) dry_run=1 ;;
    --busy) busy=1 ;;
    --no-purge) purge=0 ;;
    *) echo "usage: $0 [--dry-run] [--busy] [--no-purge]" >&2; exit 2 ;;
  esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
# Bounds: the whole test run, and each busy loop.
TEST_BUDGET_S=${TEST_BUDGET_S:-5400}

if [ "$dry_run" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
  echo "fresh-machine-check: run as root (it purges and reinstalls Debian packages): sudo bash $0 $*" >&2
  exit 1
fi

mapfile -t listed < <(bash "$root/scripts/install-debian-packages.sh" --list)
installed() { dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed$'; }
# Package names apt would remove ("Purg"/"Remv" lines) in a simulation; fails when apt would refuse.
simulated() {
  local out
  out=$(apt-get -s "$@" 2>/dev/null) || return 1
  awk '$1 == "Purg" || $1 == "Remv" { print $2 }' <<<"$out" | sort -u
}
# Whether $1 is one of the other arguments (no pipe: grep -q would SIGPIPE printf under pipefail).
in_list() { local x=$1 IFS=$'\n'; shift; [[ $'\n'"$*"$'\n' == *$'\n'"$x"$'\n'* ]]; }

purge_set=()
kept=()
if [ "$purge" -eq 1 ]; then
  candidates=()
  for p in "${listed[@]}"; do installed "$p" && candidates+=("$p"); done
  # A listed package whose removal would take a package outside the list with it stays.
  ours=("${candidates[@]}")
  for p in "${candidates[@]}"; do
    if ! gone_text=$(simulated purge "$p"); then
      kept+=("$p (apt cannot remove it without breaking other packages)")
      mapfile -t ours < <(printf '%s\n' "${ours[@]}" | grep -vxF "$p")
      continue
    fi
    mapfile -t gone <<<"$gone_text"
    for g in "${gone[@]}"; do
      if ! in_list "$g" "${listed[@]}"; then
        kept+=("$p (needed by $g)")
        mapfile -t ours < <(printf '%s\n' "${ours[@]}" | grep -vxF "$p")
        break
      fi
    done
  done
  if [ "${#ours[@]}" -gt 0 ]; then
    mapfile -t orphans_before < <(simulated autoremove)
    if ! all_text=$(simulated purge --autoremove "${ours[@]}"); then
      echo "fresh-machine-check: apt refuses to purge ${ours[*]} together; nothing purged" >&2
      exit 1
    fi
    mapfile -t all <<<"$all_text"
    mapfile -t auto < <(apt-mark showauto)
    for g in "${all[@]}"; do
      [ "${#orphans_before[@]}" -gt 0 ] && in_list "$g" "${orphans_before[@]}" && continue
      # Safety net: only listed packages and automatically installed ones go.
      if ! in_list "$g" "${listed[@]}" && ! in_list "$g" "${auto[@]}"; then
        echo "fresh-machine-check: apt would also remove $g, which is neither listed nor automatically installed; nothing purged" >&2
        exit 1
      fi
      purge_set+=("$g")
    done
  fi
fi

tmp=$(mktemp -d /tmp/lakeprobe-fresh-XXXXXX)
head=$(git -C "$root" rev-parse HEAD)
echo "== fresh-machine-check of $head"
if [ "$purge" -eq 1 ]; then
  echo "purge (${#purge_set[@]} packages): ${purge_set[*]:-none}"
  [ "${#kept[@]}" -gt 0 ] && echo "kept, other packages need them: ${kept[*]}"
fi
echo "clone: git clone $root $tmp/lakeprobe && git checkout --detach $head"
echo "run:   cd $tmp/lakeprobe && npm ci && CI=true npm test$([ "$busy" -eq 1 ] && echo "  (with $(nproc) busy loops, each at most ${TEST_BUDGET_S}s)")"
if [ "$dry_run" -eq 1 ]; then
  rmdir "$tmp"
  echo "dry run: nothing changed"
  exit 0
fi

busy_pids=()
cleanup() {
  local pid
  for pid in "${busy_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

if [ "${#purge_set[@]}" -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${purge_set[@]}"
fi

git clone --quiet "$root" "$tmp/lakeprobe"
git -C "$tmp/lakeprobe" checkout --quiet --detach "$head"
cd "$tmp/lakeprobe"
npm ci --no-audit --no-fund

if [ "$busy" -eq 1 ]; then
  for _ in $(seq "$(nproc)"); do
    timeout "$TEST_BUDGET_S" sh -c 'while :; do :; done' &
    busy_pids+=("$!")
  done
fi

started=$(date +%s)
set +e
CI=true timeout "$TEST_BUDGET_S" npm test 2>&1 | tee "$tmp/npm-test.log"
status=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - started ))

echo
echo "== fresh-machine-check of $head: exit $status after $((elapsed / 60))m$((elapsed % 60))s$([ "$busy" -eq 1 ] && echo ', cores busy')"
grep -E '^tests: ' "$tmp/npm-test.log" | tail -1 || echo "tests: no closing line (npm test stopped before the suite ran)"
exit "$status"

#!/usr/bin/env bash
# The installed systemd unit passes `systemd-analyze verify` and scores at most
# MAX_EXPOSURE in `systemd-analyze security` (docs/operators.md gives the score).
# The unit is installed with `cmake --install --component tocsin_relay` into a scratch
# prefix, so that its ExecStart names a binary that exists.
# Usage: systemd_unit_test.sh BUILD_DIR MAX_EXPOSURE
# Exit 77 (skipped) without systemd-analyze.
set -euo pipefail

build_dir="$1"
max_exposure="$2"
if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze is not installed"
  exit 77
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/tocsin-unit-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

cmake --install "$build_dir" --prefix "$scratch/usr" --component tocsin_relay >/dev/null
unit="$scratch/usr/lib/systemd/system/tocsin-relay.service"
grep -q "^ExecStart=$scratch/usr/bin/tocsin-relay serve --config $scratch/usr/etc/tocsin/relay.toml$" \
  "$unit" || { cat "$unit"; echo "FAIL: ExecStart does not name the install"; exit 1; }

if ! out=$(systemd-analyze verify "$unit" 2>&1) || [ -n "$out" ]; then
  echo "$out"
  echo "FAIL: systemd-analyze verify"
  exit 1
fi
security=$(systemd-analyze security --offline=true --no-pager "$unit" 2>&1) || true
score=$(sed -n 's/.*Overall exposure level for tocsin-relay.service: \([0-9.]*\).*/\1/p' \
  <<<"$security")
[ -n "$score" ] || { echo "$security"; echo "FAIL: no exposure score"; exit 1; }
if ! awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s <= m) }'; then
  echo "$security"
  echo "FAIL: exposure $score > $max_exposure"
  exit 1
fi
echo "ok: verify passes, exposure $score"

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

# jemalloc must see /proc/sys/vm/overcommit_memory (the unit says why).
if grep -q '^ProcSubset=pid' "$unit"; then
  echo "FAIL: ProcSubset=pid hides /proc/sys/vm/overcommit_memory from jemalloc"
  exit 1
fi

if ! out=$(systemd-analyze verify "$unit" 2>&1) || [ -n "$out" ]; then
  echo "$out"
  echo "FAIL: systemd-analyze verify"
  exit 1
fi
# The exposure score of the unit: `systemd-analyze security` of ARGS.
exposure() {
  local security
  security=$(systemd-analyze security --offline=true --no-pager "$@" 2>&1) || true
  sed -n 's/.*Overall exposure level for tocsin-relay.service: \([0-9.]*\).*/\1/p' <<<"$security"
  [ -n "$(sed -n '/Overall exposure level/p' <<<"$security")" ] || echo "$security" >&2
}
score=$(exposure "$unit")
[ -n "$score" ] || { echo "FAIL: no exposure score"; exit 1; }
if ! awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s <= m) }'; then
  systemd-analyze security --offline=true --no-pager "$unit" || true
  echo "FAIL: exposure $score > $max_exposure"
  exit 1
fi

# docs/operators.md, "A data folder elsewhere": the drop-in that makes another data
# folder writable keeps the unit valid and its score. Drop-ins are read from the unit's
# search path, here the scratch install (SYSTEMD_UNIT_PATH; the trailing colon keeps the
# default paths).
unit_dir=$(dirname "$unit")
drop_in="$unit_dir/tocsin-relay.service.d/data-dir.conf"
mkdir -p "$(dirname "$drop_in")" "$scratch/srv/tocsin"
export SYSTEMD_UNIT_PATH="$unit_dir:"
# First a broken drop-in, to know that this systemd-analyze reads drop-ins at all.
printf '[Service]\nReadWritePaths=srv/tocsin\n' >"$drop_in"
systemd-analyze verify tocsin-relay.service 2>&1 | grep -q "not absolute" ||
  { echo "FAIL: systemd-analyze did not read the drop-in"; exit 1; }
printf '[Service]\nReadWritePaths=%s\n' "$scratch/srv/tocsin" >"$drop_in"
if ! out=$(systemd-analyze verify tocsin-relay.service 2>&1) || [ -n "$out" ]; then
  echo "$out"
  echo "FAIL: systemd-analyze verify with the ReadWritePaths drop-in"
  exit 1
fi
score_with_drop_in=$(exposure tocsin-relay.service)
[ "$score_with_drop_in" = "$score" ] ||
  { echo "FAIL: exposure with the drop-in is '$score_with_drop_in', not $score"; exit 1; }
echo "ok: verify passes, exposure $score (also with a ReadWritePaths drop-in)"

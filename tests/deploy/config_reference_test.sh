#!/usr/bin/env bash
# docs/operators.md holds exactly the table `tocsin-relay config-reference` prints from
# the config schema, between its config-reference markers.
# Usage: config_reference_test.sh TOCSIN_RELAY OPERATORS_MD
set -euo pipefail

relay="$1"
doc="$2"
expected=$("$relay" config-reference)
actual=$(awk '/<!-- config-reference end -->/ { inside = 0 }
              inside { print }
              /<!-- config-reference begin -->/ { inside = 1 }' "$doc")
if [ "$expected" != "$actual" ]; then
  echo "FAIL: the table in $doc differs from \`tocsin-relay config-reference\`:"
  diff <(echo "$expected") <(echo "$actual") || true
  echo "Regenerate it: tocsin-relay config-reference, between the markers."
  exit 1
fi
echo "ok: $(grep -c '^| `' <<<"$expected") settings"

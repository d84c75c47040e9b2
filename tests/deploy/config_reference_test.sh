#!/usr/bin/env bash
# The configuration's references match the schema they come from:
# - docs/operators.md holds exactly the table `tocsin-relay config-reference` prints,
#   between its config-reference markers;
# - deploy/relay.toml (what the package installs as /etc/tocsin/relay.toml) is exactly
#   `tocsin-relay config-reference --toml` for its data folder, so every value in it is
#   the relay's default, as its first lines say.
# Usage: config_reference_test.sh TOCSIN_RELAY OPERATORS_MD RELAY_TOML
set -euo pipefail

relay="$1"
doc="$2"
toml="$3"
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
echo "ok: $(grep -c '^| `' <<<"$expected") settings in $doc"

expected_toml=$("$relay" config-reference --toml --data-dir /var/lib/tocsin)
if [ "$expected_toml" != "$(cat "$toml")" ]; then
  echo "FAIL: $toml differs from \`tocsin-relay config-reference --toml\`:"
  diff <(echo "$expected_toml") "$toml" || true
  echo "Regenerate it: tocsin-relay config-reference --toml --data-dir /var/lib/tocsin > $toml"
  exit 1
fi
echo "ok: $toml holds every default"

#!/usr/bin/env bash
# The package's maintainer scripts (deploy/debian), run against a scratch root
# (DPKG_ROOT) with groupadd, useradd, getent, chown and systemctl replaced by stubs that
# log their calls: postinst makes the user and group and the data folders (0700) and
# reloads systemd only when it runs; prerm stops and disables the unit on remove, not on
# upgrade; postrm purge keeps the data unless /etc/tocsin/purge-data exists.
# Usage: maintainer_scripts_test.sh SOURCE_DIR
set -euo pipefail

scripts="$1/deploy/debian"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/tocsin-maintscript-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
root="$scratch/root"
stubs="$scratch/stubs"
calls="$scratch/calls"
mkdir -p "$root" "$stubs"

fail() {
  echo "FAIL: $*"
  echo "--- calls:"
  cat "$calls" 2>/dev/null || true
  exit 1
}

# The stubs log their calls; groupadd and useradd also record the name they made (the
# last argument) in the group or passwd list, where getent finds it.
for tool in groupadd useradd chown systemctl; do
  printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$tool" "$calls" >"$stubs/$tool"
done
# shellcheck disable=SC2016  # the stubs expand $# and $2 when they run
{
  printf 'for name; do :; done\necho "$name" >>"%s"\n' "$scratch/group" >>"$stubs/groupadd"
  printf 'for name; do :; done\necho "$name" >>"%s"\n' "$scratch/passwd" >>"$stubs/useradd"
  printf '#!/bin/sh\ngrep -qx "$2" "%s/$1" 2>/dev/null\n' "$scratch" >"$stubs/getent"
}
chmod +x "$stubs"/*

run() {
  : >"$calls"
  DPKG_ROOT="$root" PATH="$stubs:$PATH" sh "$scripts/$1" "${@:2}" >"$scratch/out" 2>&1 ||
    { cat "$scratch/out"; fail "$* exited $?"; }
}

# A fresh install without systemd running.
run postinst configure ""
grep -q "^groupadd --system tocsin$" "$calls" || fail "no system group"
grep -q "^useradd --system --gid tocsin .* tocsin$" "$calls" || fail "no system user"
grep -q -- "--shell /usr/sbin/nologin" "$calls" || fail "the user has a login shell"
for dir in var/lib/tocsin var/lib/tocsin-backup; do
  [ "$(stat -c %a "$root/$dir")" = 700 ] || fail "$dir is not 0700"
  grep -q "^chown tocsin:tocsin $root/$dir$" "$calls" || fail "$dir not given to tocsin"
done
grep -q "^systemctl" "$calls" && fail "systemctl called without systemd"
grep -q "tocsin-relay init --config /etc/tocsin/relay.toml" "$scratch/out" ||
  fail "postinst does not say how to make the identity"

# An upgrade with systemd running: the user exists; reload and restart.
mkdir -p "$root/run/systemd/system"
run postinst configure 0.0.9
grep -q "add" "$calls" && fail "the user and group were made again"
grep -q "^systemctl daemon-reload$" "$calls" || fail "no daemon-reload"
grep -q "^systemctl try-restart tocsin-relay.service$" "$calls" || fail "no restart on upgrade"

run prerm upgrade 0.2.0
grep -q "^systemctl" "$calls" && fail "prerm upgrade touched the unit"
run prerm remove
grep -q "^systemctl disable --now tocsin-relay.service$" "$calls" || fail "prerm remove"

# Purge keeps the data unless asked.
touch "$root/var/lib/tocsin/relay.key"
run postrm purge
[ -f "$root/var/lib/tocsin/relay.key" ] || fail "purge removed the data without being asked"
grep -q "kept the relay's data" "$scratch/out" || fail "purge does not say where the data is"
mkdir -p "$root/etc/tocsin"
touch "$root/etc/tocsin/purge-data"
run postrm purge
[ ! -e "$root/var/lib/tocsin" ] || fail "purge with purge-data kept /var/lib/tocsin"
[ ! -e "$root/var/lib/tocsin-backup" ] || fail "purge with purge-data kept the backups"
[ ! -e "$root/etc/tocsin/purge-data" ] || fail "the marker stayed"
echo "ok"

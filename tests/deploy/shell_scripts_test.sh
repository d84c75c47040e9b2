#!/usr/bin/env bash
# Lints the scripts of deploy/ (testnet.sh, the maintainer scripts, the container entry
# point) with shellcheck. Exit 77 (skipped) without shellcheck.
# Usage: shell_scripts_test.sh SOURCE_DIR
set -euo pipefail

if ! command -v shellcheck >/dev/null; then
  echo "SKIP: shellcheck is not installed"
  exit 77
fi
cd "$1/deploy"
shellcheck testnet.sh install-deps.sh docker-entrypoint.sh debian/postinst debian/prerm \
  debian/postrm ../tests/deploy/*.sh
echo "ok"

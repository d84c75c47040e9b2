#!/usr/bin/env bash
# Lints the project's shell scripts with shellcheck: deploy/ (testnet.sh, install-deps.sh,
# the maintainer scripts, the container entry point), the CI script, the demo, the fuzz
# runner and these tests. Exit 77 (skipped) without shellcheck.
# Usage: shell_scripts_test.sh SOURCE_DIR
set -euo pipefail

if ! command -v shellcheck >/dev/null; then
  echo "SKIP: shellcheck is not installed"
  exit 77
fi
cd "$1"
shellcheck deploy/testnet.sh deploy/install-deps.sh deploy/docker-entrypoint.sh \
  deploy/debian/postinst deploy/debian/prerm deploy/debian/postrm \
  .ci/run cli/demo/demo.sh tests/fuzz/run.sh tests/deploy/*.sh
echo "ok"

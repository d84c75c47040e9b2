#!/usr/bin/env bash
# Installs the Debian 12 packages Tocsin builds and tests with (see docs/building.md).
# Does nothing when every package is already present; uses sudo when not root.
# --fuzz adds clang and libFuzzer (make fuzz).
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang-format
  libsignal-protocol-c-dev libsodium-dev librocksdb-dev libasio-dev libssl-dev
  libprotobuf-dev protobuf-compiler catch2 libcli11-dev libtomlplusplus-dev
  libspdlog-dev libfmt-dev libqrencode-dev libjemalloc-dev
  # tests/deploy: the unit is checked with systemd-analyze, the scripts with shellcheck
  systemd shellcheck
)
if [ "${1:-}" = "--fuzz" ]; then
  packages+=(clang-14 libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

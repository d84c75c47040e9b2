#!/bin/sh
# Container entry point (deploy/Dockerfile). Without arguments: on the first start, makes
# the relay's identity and relay.toml in the data volume and keeps the relay address in
# address.txt there; prints the address and serves. With arguments: runs
# `tocsin-relay ARGS...` (e.g. `invite create --data /var/lib/tocsin`).
# TOCSIN_PUBLIC_HOST: the host name clients use, written in the address.
set -eu

data="${TOCSIN_DATA:-/var/lib/tocsin}"

if [ $# -gt 0 ]; then
  exec tocsin-relay "$@"
fi
if [ ! -e "$data/relay.key" ]; then
  if [ -n "${TOCSIN_PUBLIC_HOST:-}" ]; then
    tocsin-relay init --data "$data" --listen 0.0.0.0:7443 \
      --address "$TOCSIN_PUBLIC_HOST" >"$data/address.txt"
  else
    tocsin-relay init --data "$data" --listen 0.0.0.0:7443 >"$data/address.txt"
  fi
fi
if [ -e "$data/address.txt" ]; then
  echo "tocsin-relay: relay address: $(cat "$data/address.txt")" >&2
fi
exec tocsin-relay serve --data "$data"

#!/usr/bin/env bash
# deploy/Dockerfile (no Docker engine here, so a static check): a build stage on
# debian:12 and a runtime stage on debian:12-slim that installs the package of every
# library tocsin-relay links (readelf NEEDED, dpkg -S), a non-root user, the data volume,
# the relay port and an entry point that exists and parses.
# Usage: dockerfile_test.sh SOURCE_DIR TOCSIN_RELAY
set -euo pipefail

src="$1"
relay="$2"
file="$src/deploy/Dockerfile"
fail() {
  echo "FAIL: $*"
  exit 1
}

grep -q "^FROM debian:12 AS build$" "$file" || fail "no build stage on debian:12"
grep -q "^FROM debian:12-slim$" "$file" || fail "no runtime stage on debian:12-slim"
grep -q "deploy/install-deps.sh" "$file" || fail "the build stage does not use install-deps.sh"
grep -q "^USER tocsin$" "$file" || fail "not USER tocsin"
grep -q "^VOLUME /var/lib/tocsin$" "$file" || fail "no VOLUME /var/lib/tocsin"
grep -q "^EXPOSE 7443$" "$file" || fail "no EXPOSE 7443"
grep -q '^ENTRYPOINT \["/usr/local/bin/tocsin-entrypoint"\]$' "$file" || fail "ENTRYPOINT"
grep -q "COPY deploy/docker-entrypoint.sh /usr/local/bin/tocsin-entrypoint" "$file" ||
  fail "the entry point is not copied"
sh -n "$src/deploy/docker-entrypoint.sh" || fail "docker-entrypoint.sh does not parse"

# Packages in debian:12-slim already.
base=" libc6 libgcc-s1 libstdc++6 zlib1g "
runtime=$(sed -n '/^FROM debian:12-slim/,$p' "$file")
for lib in $(readelf -d "$relay" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
  # (awk reads to the end: an early exit would break the pipe under pipefail)
  path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ && !found { print $NF; found = 1 }')
  [ -n "$path" ] || fail "cannot find $lib"
  owners=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null || dpkg -S "$path")
  package=$(sed -n '1s/:.*//p' <<<"$owners")
  [[ "$base" == *" $package "* ]] && continue
  [[ "$package" =~ ^lib(a|ub|t|l)san ]] && continue  # a sanitizer build's runtime
  grep -qw -- "$package" <<<"$runtime" || fail "$lib ($package) is not installed in the runtime stage"
done
echo "ok"

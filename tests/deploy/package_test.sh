#!/usr/bin/env bash
# The Debian package: `cpack -G DEB` from BUILD_DIR into a scratch folder builds
# tocsin_<version>_amd64.deb; it holds the relay, the `tocsin` CLI, the client library
# with its headers, CMake package and pkg-config file, the unit, the conffile and the
# maintainer scripts, depends on the runtime libraries, and the extracted programs run
# (`--version` of both, and `init --config` on the packaged relay.toml pointed at a
# scratch data folder).
# Usage: package_test.sh BUILD_DIR VERSION
set -euo pipefail

build_dir="$1"
version="$2"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/tocsin-package-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$scratch/out" >"$scratch/cpack.log" 2>&1 ||
  { cat "$scratch/cpack.log" >&2; fail "cpack failed"; }
deb="$scratch/out/tocsin_${version}_amd64.deb"
[ -f "$deb" ] || { ls -l "$scratch/out" >&2; fail "no $deb"; }

contents=$(dpkg-deb -c "$deb")
for path in ./usr/bin/tocsin-relay ./usr/bin/tocsin ./usr/lib/systemd/system/tocsin-relay.service \
  ./etc/tocsin/relay.toml ./usr/share/doc/tocsin/operators.md; do
  grep -q " $path\$" <<<"$contents" || fail "$path not in the package"
done
# The client library, its headers, CMake package and pkg-config file (the library
# directory is GNUInstallDirs' for the configured prefix: lib/<multiarch> for /usr).
library_re=' \./usr/lib(/[a-z0-9_-]+)?/libtocsin\.so\.[0-9][0-9.]*$'
library=$(grep -Eo "$library_re" <<<"$contents" | head -n 1 || true)
[ -n "$library" ] || fail "libtocsin.so.<version> not in the package"
library=${library# ./usr/}
libdir=$(dirname "$library")
for path in "./usr/$libdir/libtocsin.so" ./usr/include/tocsin/client.h \
  "./usr/$libdir/pkgconfig/tocsin.pc" "./usr/$libdir/cmake/tocsin/tocsinConfig.cmake"; do
  grep -Eq " $path( -> .*)?\$" <<<"$contents" || fail "$path not in the package"
done
for program in tocsin-relay tocsin; do
  grep -q "^-rwxr-xr-x root/root .* ./usr/bin/$program\$" <<<"$contents" ||
    fail "$program is not root-owned 0755"
done

info=$(dpkg-deb -I "$deb")
grep -q "^ Package: tocsin$" <<<"$info" || fail "package name"
grep -q "^ Version: ${version}\$" <<<"$info" || fail "version"
grep -q "^ Architecture: amd64$" <<<"$info" || fail "architecture"
depends=$(grep "^ Depends:" <<<"$info") || fail "no Depends"
for lib in librocksdb7.8 libprotobuf32 libsodium23 libssl3 libspdlog1.10 libfmt9 \
  libtomlplusplus3 libqrencode4 libsignal-protocol-c2.3.2 libc6; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
# jemalloc, when the relay links it (TOCSIN_JEMALLOC, on by default).
if readelf -d "$build_dir/relay/tocsin-relay" | grep -q 'Shared library: \[libjemalloc'; then
  grep -q libjemalloc2 <<<"$depends" || fail "Depends lacks libjemalloc2: $depends"
fi
for script in postinst prerm postrm conffiles; do
  grep -Eq "[0-9]+ lines +\*? +$script( |\$)" <<<"$info" || fail "no $script in the control archive"
done
dpkg-deb -e "$deb" "$scratch/control"
[ "$(cat "$scratch/control/conffiles")" = "/etc/tocsin/relay.toml" ] || fail "conffiles"
grep -qx "activate-noawait ldconfig" "$scratch/control/triggers" || fail "no ldconfig trigger"
grep -q "^libtocsin [0-9]* tocsin" "$scratch/control/shlibs" || fail "no shlibs for libtocsin"
for script in postinst prerm postrm; do
  [ -x "$scratch/control/$script" ] || fail "$script is not executable"
  sh -n "$scratch/control/$script" || fail "$script does not parse"
done

root="$scratch/root"
dpkg -x "$deb" "$root"
"$root/usr/bin/tocsin-relay" --version | grep -q "^tocsin-relay ${version}" || fail "--version"
# The CLI, with the package's own library folder first (should it link libtocsin).
cli_version=$(LD_LIBRARY_PATH="$root/usr/$libdir" "$root/usr/bin/tocsin" --version) ||
  fail "tocsin --version failed"
[ "$cli_version" = "tocsin ${version}" ] || fail "tocsin --version printed '$cli_version'"
grep -q "^data_dir = '/var/lib/tocsin'$" "$root/etc/tocsin/relay.toml" ||
  grep -q '^data_dir = "/var/lib/tocsin"$' "$root/etc/tocsin/relay.toml" || fail "data_dir"
grep -q "/usr/bin/tocsin-relay serve --config /etc/tocsin/relay.toml" \
  "$root/usr/lib/systemd/system/tocsin-relay.service" || fail "ExecStart"

# The install story's init step, with the packaged config pointed at a scratch folder.
config="$scratch/relay.toml"
sed -e "s|^data_dir = .*|data_dir = '$scratch/data'|" \
  -e "s|^listen = .*|listen = '127.0.0.1:7443'|" "$root/etc/tocsin/relay.toml" >"$config"
cp "$config" "$scratch/relay.toml.orig"
status=0
"$root/usr/bin/tocsin-relay" serve --config "$config" 2>"$scratch/serve.err" || status=$?
[ "$status" = 2 ] || fail "serve without an identity exited $status, not 2"
grep -q "init --config $config" "$scratch/serve.err" || fail "serve does not say to run init"
address=$("$root/usr/bin/tocsin-relay" init --config "$config")
[[ "$address" =~ ^tocsin://[a-z2-7]+@127\.0\.0\.1:7443$ ]] || fail "init printed '$address'"
[ -f "$scratch/data/relay.key" ] || fail "no relay.key"
[ "$(stat -c %a "$scratch/data")" = 700 ] || fail "data folder is not 0700"
cmp -s "$config" "$scratch/relay.toml.orig" || fail "init changed the config file"
[ ! -e "$scratch/data/relay.toml" ] || fail "init --config wrote a second relay.toml"
echo "ok: $(basename "$deb"), $depends"

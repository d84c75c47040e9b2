#!/usr/bin/env bash
# tocsin-relay allocates with jemalloc (TOCSIN_JEMALLOC, docs/architecture.md "Memory"),
# with the options of relay/src/main.cpp: asked through MALLOC_CONF, the allocator the
# binary runs on prints its statistics and options at exit, which glibc's malloc would
# not.
# Usage: allocator_test.sh TOCSIN_RELAY
set -euo pipefail

relay="$1"
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

out=$(MALLOC_CONF=stats_print:true "$relay" --version 2>&1) || fail "--version failed: $out"
grep -q "^tocsin-relay " <<<"$out" || fail "no version line: $out"
grep -q "Begin jemalloc statistics" <<<"$out" || fail "tocsin-relay does not run on jemalloc"
grep -q "^Version: \"5\\." <<<"$out" || fail "not jemalloc 5: $(grep -m1 '^Version' <<<"$out")"
grep -q "opt.background_thread: true" <<<"$out" ||
  fail "main.cpp's malloc_conf is not applied: $(grep 'opt.background_thread' <<<"$out")"
echo "ok"

#!/usr/bin/env bash
# Runs every libFuzzer program of a TOCSIN_FUZZ=ON build for a set time, two at a time:
#   tests/fuzz/run.sh <build folder> <seconds per target> [target...]
# Each starts from a copy of its committed seed corpus (so new inputs stay in the build
# folder) and writes crashes to <build>/fuzz/artifacts/<target>/. Prints, per target,
# the executions, the coverage (libFuzzer's "cov:" edges) and the corpus size, appends
# them to <build>/fuzz/summary.txt, and fails if any target found a crash, a leak or a
# timeout. A finding goes into tests/fuzz/regressions/<target>/ once fixed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:?build folder}" && pwd)"
seconds="${2:-60}"
shift 2 || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(frame_decoder relay_session sealed_open signal_content text_parsers relay_config)
fi
parallel="${FUZZ_PARALLEL:-2}"
work="$build/fuzz"
mkdir -p "$work"

run_one() {
  local target="$1" binary="$build/tests/fuzz/tocsin_fuzz_$1"
  local corpus="$work/corpus/$target" artifacts="$work/artifacts/$target/"
  [ -x "$binary" ] || { echo "missing $binary (make fuzz builds it)" >&2; return 1; }
  mkdir -p "$corpus" "$artifacts"
  cp -n "$here/corpus/$target"/* "$corpus/" 2>/dev/null || true
  local inputs=("$corpus")
  [ -d "$here/regressions/$target" ] && inputs+=("$here/regressions/$target")
  local status=0
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 \
    "$binary" "${inputs[@]}" -max_total_time="$seconds" \
    -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$artifacts" >"$work/$target.log" 2>&1 || status=$?
  local execs cov files
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$target.log" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$work/$target.log" | tail -1 | grep -o '[0-9]*' || echo 0)
  files=$(find "$corpus" -type f | wc -l)
  local line="$target seconds=$seconds execs=$execs cov=$cov corpus=$files exit=$status"
  echo "$line" | tee -a "$work/summary.txt"
  if [ "$status" -ne 0 ]; then
    echo "== $target failed; the end of its log ($work/$target.log):" >&2
    tail -40 "$work/$target.log" >&2
    return 1
  fi
}

failed=0
pids=()
for target in "${targets[@]}"; do
  run_one "$target" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$parallel" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
exit "$failed"

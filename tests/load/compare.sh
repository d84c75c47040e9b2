#!/usr/bin/env bash
# The performance proof (docs/design.md, "Performance budget"): Tocsin's relay and well-known
# brokers from Debian, measured in ONE run on one machine on the same scenarios, so that
# every Tocsin figure stands beside a ratio that holds on a noisy machine.
#
#   tocsin           build/tests/load/tocsin_relay_bench (fsync, TLS 1.3)
#   mosquitto[-tls]  Mosquitto, MQTT 3.1.1 QoS 1, persistent sessions
#   redis-always[-tls], redis-everysec[-tls]
#                    Redis Streams, one stream per mailbox, AOF with that appendfsync
#
# Scenarios (the peers' mapping is in tests/load/peers/README.md): fanout (one message
# to N = 1,000 / 5,000 / 10,000 subscribers, time to the last receipt, p50 and max over
# 20 messages), throughput (durable send -> deliver -> ack per second), drain (1,000
# mailboxes x 20 queued messages, all reconnecting at once), idle (server RSS with
# 10,000 connections).
#
# Every server is started here, on loopback ports, from a temporary folder, and stopped
# on exit. Missing Debian packages are installed with apt-get (root only).
#
# Output (default build/compare/): results.csv (every RESULT line of every run),
# medians.csv, compare.md (a table per scenario with Tocsin's ratio to each peer, and
# the durability of each), fanout.png (fan-out p50 against recipients), logs/.
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO="$(cd "$SCRIPT_DIR/../.." && pwd)"
readonly PACKAGES=(mosquitto redis-server libmosquitto-dev libhiredis-dev gnuplot-nox openssl
                   cmake pkg-config iproute2)
readonly ALL_SYSTEMS=(tocsin mosquitto mosquitto-tls redis-always redis-always-tls
                      redis-everysec redis-everysec-tls)

BUILD_DIR="$REPO/build"
OUT_DIR=""
QUICK=0
RUNS=1
PORT_BASE=17880
INSTALL=1
SYSTEMS=("${ALL_SYSTEMS[@]}")
SCENARIOS=(fanout throughput drain idle)
FANOUT_N=(1000 5000 10000)
ALERTS=20
PER_SENDER=50000
DRAIN_N=1000
IDLE_N=10000

# The fan-out's receivers (the benchmark's subscribers) run on one client thread, then on
# one thread per core; each system keeps its better p50. Which is faster depends on the
# server: a single-threaded broker loses its core to a second receiver thread, while a
# multi-threaded server starves a single one. The harness should not pick the winner.
RECEIVER_THREADS=(1)
[[ "$(nproc)" -gt 1 ]] && RECEIVER_THREADS+=("$(nproc)")

TMP=""
SERVER_PID=""
LAST_LOG=""
REDIS_TLS=1

usage() {
  cat <<EOF
Usage: tests/load/compare.sh [options]
  --quick          smoke run (N = 1,000 only, shorter throughput, no idle): ~3 minutes
  --runs K         repeat the whole comparison K times; tables show medians (default 1)
  --only-peers     the peers only (no tocsin_relay_bench)
  --only-tocsin    Tocsin only
  --systems LIST   comma-separated subset of: ${ALL_SYSTEMS[*]}
  --scenarios LIST comma-separated subset of: fanout,throughput,drain,idle
  --build-dir DIR  CMake build folder (default build/); missing programs are built there
  --out DIR        output folder (default BUILD_DIR/compare)
  --port-base P    servers listen on 127.0.0.1:P..P+3 (default 17880)
  --fanout-n LIST  fan-out sizes (default 1000,5000,10000; --quick: 1000)
  --alerts K       fan-out messages per size (default 20)
  --no-install     never run apt-get; fail if a package is missing
EOF
}

die() {
  echo "compare.sh: $*" >&2
  exit 1
}

note() { echo "== $*" >&2; }

parse_args() {
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --quick) QUICK=1 ;;
      --runs) RUNS="${2:?--runs needs a number}"; shift ;;
      --only-peers) SYSTEMS=("${ALL_SYSTEMS[@]:1}") ;;
      --only-tocsin) SYSTEMS=(tocsin) ;;
      --systems) IFS=, read -r -a SYSTEMS <<<"${2:?--systems needs a list}"; shift ;;
      --scenarios) IFS=, read -r -a SCENARIOS <<<"${2:?--scenarios needs a list}"; shift ;;
      --build-dir) BUILD_DIR="$(realpath -m "${2:?}")"; shift ;;
      --out) OUT_DIR="$(realpath -m "${2:?}")"; shift ;;
      --port-base) PORT_BASE="${2:?}"; shift ;;
      --fanout-n) IFS=, read -r -a FANOUT_N <<<"${2:?--fanout-n needs a list}"; shift ;;
      --alerts) ALERTS="${2:?}"; shift ;;
      --no-install) INSTALL=0 ;;
      -h|--help) usage; exit 0 ;;
      *) usage >&2; die "unknown option $1" ;;
    esac
    shift
  done
  [[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "--runs needs a positive number"
  [[ "$PORT_BASE" =~ ^[0-9]+$ && "$PORT_BASE" -gt 1023 && "$PORT_BASE" -lt 65530 ]] ||
    die "--port-base needs a port between 1024 and 65529"
  local s
  for s in "${SYSTEMS[@]}"; do
    [[ " ${ALL_SYSTEMS[*]} " == *" $s "* ]] || die "unknown system $s"
  done
  for s in "${SCENARIOS[@]}"; do
    [[ " fanout throughput drain idle " == *" $s "* ]] || die "unknown scenario $s"
  done
  [[ -n "$OUT_DIR" ]] || OUT_DIR="$BUILD_DIR/compare"
  if [[ "$QUICK" == 1 ]]; then
    [[ "${FANOUT_N[*]}" == "1000 5000 10000" ]] && FANOUT_N=(1000)
    PER_SENDER=10000
    local kept=()
    for s in "${SCENARIOS[@]}"; do [[ "$s" == idle ]] || kept+=("$s"); done
    SCENARIOS=("${kept[@]}")
  fi
}

# ------------------------------------------------------------------ setup

ensure_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return
  [[ "$INSTALL" == 1 ]] || die "missing packages: ${missing[*]} (run without --no-install)"
  [[ "$(id -u)" == 0 ]] || die "missing packages: ${missing[*]}; install them as root:
  apt-get install -y --no-install-recommends ${missing[*]}"
  note "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >"$TMP/apt.log" 2>&1 || { cat "$TMP/apt.log" >&2; die "apt-get install failed"; }
  # Debian starts the packaged services; this script runs its own on other ports.
}

ensure_binaries() {
  local targets=() t
  wants_tocsin && targets+=(tocsin_relay_bench tocsin-relay)
  wants_family mosquitto && targets+=(tocsin_mosquitto_bench)
  wants_family redis && targets+=(tocsin_redis_bench)
  local missing=()
  for t in "${targets[@]}"; do
    [[ -x "$(binary "$t")" ]] || missing+=("$t")
  done
  [[ ${#missing[@]} -eq 0 ]] && return
  note "building ${missing[*]} in $BUILD_DIR"
  cmake -S "$REPO" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >"$TMP/cmake.log" 2>&1 ||
    { cat "$TMP/cmake.log" >&2; die "cmake configure failed"; }
  cmake --build "$BUILD_DIR" -j "$(nproc)" --target "${missing[@]}" >"$TMP/build.log" 2>&1 ||
    { tail -50 "$TMP/build.log" >&2; die "build failed"; }
}

binary() {
  case "$1" in
    tocsin-relay) echo "$BUILD_DIR/relay/tocsin-relay" ;;
    *) echo "$BUILD_DIR/tests/load/$1" ;;
  esac
}

wants_tocsin() { [[ " ${SYSTEMS[*]} " == *" tocsin "* ]]; }
wants_family() { [[ " ${SYSTEMS[*]} " == *" $1"* ]]; }

port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

check_ports() {
  local p
  for p in $(seq "$PORT_BASE" $((PORT_BASE + 3))); do
    port_busy "$p" && die "port $p is busy: $(ss -Hltnp "sport = :$p" | head -1)
  pick free ports with --port-base"
  done
  return 0
}

make_certificate() {
  # Ed25519, as the relay's own certificate: the handshakes cost the same kind of work.
  openssl req -x509 -newkey ed25519 -nodes -days 2 -subj /CN=localhost \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >"$TMP/openssl.log" 2>&1 ||
    { cat "$TMP/openssl.log" >&2; die "openssl could not make a certificate"; }
  chmod 0644 "$TMP/key.pem"  # read by the mosquitto user; a throwaway key
}

cleanup() {
  local rc=$?
  stop_server
  [[ -n "$TMP" && -d "$TMP" ]] && rm -rf "$TMP"
  exit "$rc"
}

# shellcheck source=peers/servers.sh
source "$SCRIPT_DIR/peers/servers.sh"
# shellcheck source=peers/report.sh
source "$SCRIPT_DIR/peers/report.sh"

# ------------------------------------------------------------------ runs

FAILED=()

# The sizes a scenario is measured at (for throughput: the receiving mailboxes).
sizes_of() {
  case "$1" in
    fanout) echo "${FANOUT_N[@]}" ;;
    throughput) echo 100 ;;
    drain) echo "$DRAIN_N" ;;
    idle) echo "$IDLE_N" ;;
  esac
}

measured_systems() {
  local s
  for s in "${SYSTEMS[@]}"; do
    [[ "$REDIS_TLS" == 0 && "$s" == redis-*-tls ]] && continue
    echo "$s"
  done
}

# Appends the RESULT lines of the logs' .results files to results.txt, tagged with the
# run. A fan-out measured with several receiver layouts keeps, per system and size, the
# line with the lowest p50 (RECEIVER_THREADS says why).
collect() {  # run log...
  local run="$1"
  shift
  local files=() log
  for log in "$@"; do files+=("$log.results"); done
  awk '
    /^RESULT / {
      split("", f)
      for (i = 2; i <= NF; i++) { eq = index($i, "="); f[substr($i, 1, eq - 1)] = substr($i, eq + 1) }
      key = f["system"] "," f["scenario"] "," f["n"]
      if (!(key in best)) { order[++k] = key; best[key] = $0; p50[key] = f["p50_ms"] + 0; next }
      if (f["scenario"] == "fanout" && f["p50_ms"] + 0 < p50[key]) { best[key] = $0; p50[key] = f["p50_ms"] + 0 }
    }
    END { for (i = 1; i <= k; i++) print best[order[i]] }' "${files[@]}" |
    sed "s/^RESULT /RESULT run=$run /" >>"$OUT_DIR/results.txt" || true
}

run_peer() {  # run system scenario n [receiver threads]; sets LAST_LOG
  local run="$1" system="$2" scenario="$3" n="$4" threads="${5:-}" bench=tocsin_redis_bench
  [[ "$system" == mosquitto* ]] && bench=tocsin_mosquitto_bench
  local log="$OUT_DIR/logs/run$run-$system-$scenario-$n${threads:+-r$threads}.log"
  local args=(--system "$system" --durability "$(durability_of "$system")" --scenario "$scenario"
              --port "$(server_port "$system")" --n "$n" --alerts "$ALERTS"
              --per-sender "$PER_SENDER" --queued 20)
  [[ "$system" == *-tls ]] && args+=(--tls)
  [[ -n "$threads" ]] && args+=(--receiver-threads "$threads")
  start_server "$system"
  args+=(--server-pid "$SERVER_PID")
  note "run $run: $system $scenario n=$n${threads:+ (receiver threads: $threads)}"
  if ! "$(binary "$bench")" "${args[@]}" >"$log" 2>&1; then
    FAILED+=("run $run $system $scenario n=$n (see $log)")
    tail -3 "$log" >&2
  fi
  stop_server
  grep '^RESULT ' "$log" >"$log.results" || true
  LAST_LOG="$log"
}

# tocsin_relay_bench's human lines as RESULT lines, for a build that prints none.
tocsin_results_from_text() {
  awk '
    function out(rest) { print "RESULT system=tocsin " rest " durability=fsync tls=1" }
    /^fanout N=/ {
      n = substr($2, 3)
      for (i = 1; i <= NF; i++) { if ($i == "p50") p50 = $(i + 1); if ($i == "max") max = $(i + 1) }
      out("scenario=fanout n=" n " p50_ms=" p50 " max_ms=" max)
    }
    /^throughput:/ { rate = $NF; sub("/s", "", rate); out("scenario=throughput n=100 rate_per_s=" rate) }
    /^offline drain:/ { out("scenario=drain n=" $3 " seconds=" $(NF - 1) / 1000) }
    /^idle:/ { for (i = 1; i <= NF; i++) if ($i == "RSS") rss = $(i + 1); out("scenario=idle n=" $2 " rss_mib=" rss) }
  ' "$1"
}

# tocsin_relay_bench's options for `scenario`: the same sizes and counts as the peers.
tocsin_args() {  # scenario
  local n
  case "$1" in
    fanout)
      for n in "${FANOUT_N[@]}"; do echo "-n $n"; done
      echo "--alerts $ALERTS" ;;
    throughput) echo "-n 100 --messages $((4 * PER_SENDER))" ;;
    drain) echo "-n $DRAIN_N --messages 20 --resume off" ;;
    idle) echo "-n $IDLE_N" ;;
  esac
}

run_tocsin() {  # run scenario [receiver threads]; sets LAST_LOG
  local run="$1" scenario="$2" threads="${3:-}"
  local log="$OUT_DIR/logs/run$run-tocsin-$scenario${threads:+-r$threads}.log"
  local args
  # shellcheck disable=SC2207  # words on purpose: options and their values
  args=("$scenario" $(tocsin_args "$scenario"))
  [[ -n "$threads" ]] && args+=(--receiver-threads "$threads")
  note "run $run: tocsin ${args[*]}"
  if ! "$(binary tocsin_relay_bench)" "${args[@]}" >"$log" 2>&1; then
    FAILED+=("run $run tocsin $scenario (see $log)")
    tail -3 "$log" >&2
  fi
  if grep -q '^RESULT ' "$log"; then
    grep '^RESULT ' "$log" >"$log.results"
  else
    tocsin_results_from_text "$log" >"$log.results"
  fi
  LAST_LOG="$log"
}

# The receiver layouts a scenario is measured with: the fan-out's receivers on one client
# thread, then on one thread per core; every other scenario, as the benchmark sets it.
layouts_of() {
  if [[ "$1" == fanout ]]; then echo "${RECEIVER_THREADS[@]}"; else echo "-"; fi
}

run_all() {
  local run scenario system n threads logs
  for run in $(seq 1 "$RUNS"); do
    for scenario in "${SCENARIOS[@]}"; do
      for system in $(measured_systems); do
        if [[ "$system" == tocsin ]]; then
          logs=()
          for threads in $(layouts_of "$scenario"); do
            [[ "$threads" == - ]] && threads=""
            run_tocsin "$run" "$scenario" "$threads"
            logs+=("$LAST_LOG")
          done
          collect "$run" "${logs[@]}"
          continue
        fi
        for n in $(sizes_of "$scenario"); do
          logs=()
          for threads in $(layouts_of "$scenario"); do
            [[ "$threads" == - ]] && threads=""
            run_peer "$run" "$system" "$scenario" "$n" "$threads"
            logs+=("$LAST_LOG")
          done
          collect "$run" "${logs[@]}"
        done
      done
    done
  done
}

main() {
  parse_args "$@"
  TMP="$(mktemp -d /tmp/tocsin-compare.XXXXXX)"
  chmod 0755 "$TMP"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  # 10,000 connections on each side; the servers inherit the limit. libmosquitto takes
  # three descriptors per client (its socket and a socketpair to wake its loop), so
  # its 10,000 clients need ~30,000: root raises the hard limit, others get what it is.
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  [[ "$(ulimit -n)" -ge 31000 ]] ||
    note "open-file limit $(ulimit -n): 10,000 connections (30,000 descriptors for libmosquitto) may fail"
  ensure_packages
  ensure_binaries
  check_ports
  make_certificate
  wants_family redis && probe_redis_tls
  mkdir -p "$OUT_DIR/logs"
  rm -f "$OUT_DIR/results.txt" "$OUT_DIR"/logs/*.log*
  : >"$OUT_DIR/results.txt"
  LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
  local started=$SECONDS
  run_all
  LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
  ELAPSED=$((SECONDS - started))
  report
  self_check
}

main "$@"

#!/usr/bin/env bash
# testnet.sh: a local Tocsin test network. Starts N relays (default 2) on 127.0.0.1 with
# temporary data folders (`tocsin-relay init --data` + `serve --data`), waits until each
# accepts connections, prints their addresses on stdout (one a line, in order), and keeps
# them running until Ctrl-C / SIGTERM, or until COMMAND ends when one is given. Then it
# stops every relay cleanly (SIGTERM, waits for the exit) and removes the temporary folder.
#
# Usage: deploy/testnet.sh [options] [-- COMMAND [ARGS...]]
#   -n, --relays N         relays to start (default 2)
#   -b, --binary PATH      tocsin-relay to run (default: $TOCSIN_RELAY, else
#                          build/relay/tocsin-relay of this checkout, else the one in PATH)
#   -p, --base-port PORT   relay i listens on PORT+i-1 (default: free ports picked here)
#   -a, --addresses FILE   also write the addresses to FILE (written once all relays
#                          accept, by rename: a script may wait for FILE to appear)
#   -i, --invites FILE     also write one invite per relay to FILE (one a line, in relay
#                          order, each good for 1000 mailboxes and 1 day), before the
#                          addresses file appears
#   -s, --set KEY=VALUE    relay.toml override for every relay, KEY as section.name and
#                          VALUE as TOML text: --set limits.sweep_interval_ms=200
#                          --set 'server.log_level="debug"' (repeatable)
#   -m, --metrics          give each relay a metrics listener on a free loopback port
#                          (default: metrics off); printed on stderr
#   -t, --timeout SECONDS  how long to wait for each relay to accept (default 60)
#   -h, --help
# With COMMAND, the script runs it once every relay accepts, with TOCSIN_TESTNET_ADDRESSES
# set to the addresses (space separated) and TOCSIN_TESTNET_DIR to the temporary folder
# (relay i's data folder is relay<i> in it: `tocsin-relay invite create --data DIR/relay1`),
# and exits with its status. Relay logs are in the temporary folder (relayN/relay.log);
# the last lines of a relay that fails are printed.
# Exit status: 0 on a clean stop, 1 when a relay fails to start or exits on its own,
# 2 on a usage error; COMMAND's status when one is given.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
relays=2
binary=""
base_port=""
addresses_file=""
invites_file=""
overrides=()
metrics=0
timeout=60
command_args=()

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

die_usage() {
  echo "testnet.sh: $1 (see --help)" >&2
  exit 2
}

is_number() {
  [[ "$1" =~ ^[0-9]+$ ]]
}

parse_args() {
  while [ $# -gt 0 ]; do
    case "$1" in
      -n | --relays) relays="${2:-}"; shift 2 || die_usage "$1 needs a value" ;;
      -b | --binary) binary="${2:-}"; shift 2 || die_usage "$1 needs a value" ;;
      -p | --base-port) base_port="${2:-}"; shift 2 || die_usage "$1 needs a value" ;;
      -a | --addresses) addresses_file="${2:-}"; shift 2 || die_usage "$1 needs a value" ;;
      -i | --invites) invites_file="${2:-}"; shift 2 || die_usage "$1 needs a value" ;;
      -s | --set) overrides+=("${2:-}"); shift 2 || die_usage "$1 needs a value" ;;
      -m | --metrics) metrics=1; shift ;;
      -t | --timeout) timeout="${2:-}"; shift 2 || die_usage "$1 needs a value" ;;
      -h | --help) usage; exit 0 ;;
      --) shift; command_args=("$@"); break ;;
      *) die_usage "unknown option $1" ;;
    esac
  done
  if ! { is_number "$relays" && [ "$relays" -ge 1 ]; }; then
    die_usage "--relays wants a number >= 1"
  fi
  if ! { is_number "$timeout" && [ "$timeout" -ge 1 ]; }; then
    die_usage "--timeout wants seconds >= 1"
  fi
  if [ -n "$base_port" ] && ! { is_number "$base_port" && [ "$base_port" -ge 1 ] &&
    [ $((base_port + relays - 1)) -le 65535 ]; }; then
    die_usage "--base-port out of range"
  fi
  local o
  for o in ${overrides[@]+"${overrides[@]}"}; do
    [[ "$o" =~ ^[a-z_.]+\.[a-z_]+=.+$ ]] || die_usage "--set wants section.name=value, not '$o'"
  done
}

find_binary() {
  if [ -z "$binary" ]; then
    if [ -n "${TOCSIN_RELAY:-}" ]; then
      binary="$TOCSIN_RELAY"
    elif [ -x "$script_dir/../build/relay/tocsin-relay" ]; then
      binary="$script_dir/../build/relay/tocsin-relay"
    else
      binary=$(command -v tocsin-relay || true)
    fi
  fi
  if [ -z "$binary" ] || [ ! -x "$binary" ]; then
    die_usage "no tocsin-relay binary (use --binary)"
  fi
}

# ------------------------------------------------------------------------------ ports

# True when something accepts TCP connections on 127.0.0.1:$1.
port_accepts() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

taken_ports=" "

picked_port=""

# The ports to pick from: below the kernel's ephemeral range (where outgoing connections
# take their local ports), from 20000; or above it when it starts too low.
port_range() {
  local low high
  read -r low high </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || { low=32768; high=60999; }
  if [ "$low" -ge 22000 ]; then
    echo "20000 $((low - 20000))"
  elif [ "$high" -le 63000 ]; then
    echo "$((high + 1)) $((65535 - high))"
  else
    echo "20000 40000"
  fi
}
read -r port_first port_count <<<"$(port_range)"

# Sets picked_port to a loopback port nothing listens on and this script has not handed
# out yet. A relay that still loses the race to bind it is started again on another.
pick_port() {
  local port tries=0
  while [ $tries -lt 200 ]; do
    port=$((port_first + (RANDOM * 32768 + RANDOM) % port_count))
    tries=$((tries + 1))
    [[ "$taken_ports" == *" $port "* ]] && continue
    port_accepts "$port" && continue
    taken_ports+="$port "
    picked_port=$port
    return 0
  done
  echo "testnet.sh: found no free port" >&2
  return 1
}

# ------------------------------------------------------------------------ relay.toml

# Sets section.name = value in the relay.toml $1; fails when the setting is not there.
set_toml() {
  local file="$1" key="$2" value="$3"
  local section="${key%.*}" name="${key##*.}"
  awk -v section="[$section]" -v name="$name" -v value="$value" '
    BEGIN { found = 0 }
    /^\[/ { current = $0 }
    current == section && $1 == name && $2 == "=" && !found {
      print name " = " value; found = 1; next
    }
    { print }
    END { exit found ? 0 : 1 }
  ' "$file" >"$file.new" || {
    rm -f "$file.new"
    echo "testnet.sh: no setting $key in relay.toml" >&2
    return 1
  }
  mv "$file.new" "$file"
}

# ----------------------------------------------------------------------- the relays

work_dir=""
pids=()
addresses=()
stopping=0

log_tail() {
  echo "--- last lines of $1:" >&2
  tail -n 20 "$1" >&2 || true
}

# init --data and the overrides for relay $1 on port $2.
prepare_relay() {
  local i="$1" port="$2" dir="$work_dir/relay$1" address o
  address=$("$binary" init --data "$dir" --listen "127.0.0.1:$port" 2>"$work_dir/init$i.log") || {
    log_tail "$work_dir/init$i.log"
    return 1
  }
  addresses[i]=$(echo "$address" | head -n 1)
  local metrics_listen='""'
  if [ "$metrics" = 1 ]; then
    pick_port
    metrics_listen="\"127.0.0.1:$picked_port\""
    echo "testnet.sh: relay $i metrics on http://127.0.0.1:$picked_port/metrics" >&2
  fi
  set_toml "$dir/relay.toml" server.metrics_listen "$metrics_listen"
  for o in ${overrides[@]+"${overrides[@]}"}; do
    set_toml "$dir/relay.toml" "${o%%=*}" "${o#*=}"
  done
}

start_relay() {
  local i="$1" dir="$work_dir/relay$1"
  "$binary" serve --data "$dir" 2>>"$dir/relay.log" >/dev/null &
  pids[i]=$!
}

# True once relay $1 says it accepts (serving.txt, written once accepting, names its pid)
# and its port $2 does accept.
relay_accepts() {
  grep -qx "pid ${pids[$1]}" "$work_dir/relay$1/serving.txt" 2>/dev/null && port_accepts "$2"
}

# Waits until relay $1 on port $2 accepts, or its process ends, or the deadline passes.
wait_accepting() {
  local i="$1" port="$2" deadline=$((SECONDS + timeout))
  while ! relay_accepts "$i" "$port"; do
    if ! kill -0 "${pids[i]}" 2>/dev/null; then
      wait "${pids[i]}" || true
      pids[i]=""
      if grep -q "Address already in use" "$work_dir/relay$i/relay.log" && [ -z "$base_port" ]; then
        return 1  # wait_relay moves it
      fi
      echo "testnet.sh: relay $i exited before accepting connections" >&2
      log_tail "$work_dir/relay$i/relay.log"
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      echo "testnet.sh: relay $i does not accept on port $port after ${timeout}s" >&2
      log_tail "$work_dir/relay$i/relay.log"
      return 1
    fi
    sleep 0.1
  done
}

# SIGTERM to every relay, then wait for each (a relay drains before it exits); one that
# is still running after 30 seconds is killed.
stop_relays() {
  local i pid deadline
  for pid in ${pids[@]+"${pids[@]}"}; do
    if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for i in "${!pids[@]}"; do
    pid="${pids[i]}"
    [ -n "$pid" ] || continue
    deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "testnet.sh: relay $i did not stop after 30s, killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    pids[i]=""
  done
}

cleanup() {
  local status=$?
  [ "$stopping" = 1 ] && return
  stopping=1
  trap '' INT TERM
  stop_relays
  [ -n "$work_dir" ] && rm -rf "$work_dir"
  [ -n "$addresses_file" ] && rm -f "$addresses_file.tmp"
  [ -n "$invites_file" ] && rm -f "$invites_file.tmp"
  exit "$status"
}

on_signal() {
  echo "testnet.sh: stopping the relays" >&2
  exit 0
}

# Relay $1 lost its port $2 to another program between the pick and the bind: moves it to
# a new port (relay.toml and its address) and starts it again. Sets picked_port.
move_relay() {
  local i="$1" old_port="$2" dir="$work_dir/relay$1"
  pick_port
  echo "testnet.sh: port $old_port was taken, relay $i moves to $picked_port" >&2
  set_toml "$dir/relay.toml" server.listen "'127.0.0.1:$picked_port'"
  addresses[i]="${addresses[i]%:*}:$picked_port"
  : >"$dir/relay.log"
  start_relay "$i"
}

# Waits until relay $1 (on port $2) accepts; a relay that lost its port to a race is
# moved (when the ports are picked here) up to 5 times. Sets picked_port to the port.
wait_relay() {
  local i="$1" port="$2" moves=0
  until wait_accepting "$i" "$port"; do
    if [ -n "$base_port" ] || [ $moves -ge 5 ] || [ -n "${pids[i]}" ] ||
      ! grep -q "Address already in use" "$work_dir/relay$i/relay.log"; then
      return 1
    fi
    moves=$((moves + 1))
    move_relay "$i" "$port"
    port=$picked_port
  done
  picked_port=$port
}

start_network() {
  local i port
  local -a ports=()
  for ((i = 1; i <= relays; i++)); do
    if [ -n "$base_port" ]; then
      port=$((base_port + i - 1))
      if port_accepts "$port"; then
        echo "testnet.sh: port $port is in use" >&2
        return 1
      fi
    else
      pick_port
      port=$picked_port
    fi
    ports[i]=$port
    prepare_relay "$i" "$port"
    start_relay "$i"
  done
  for ((i = 1; i <= relays; i++)); do
    wait_relay "$i" "${ports[i]}"
  done
}

write_invites() {
  local i invite
  for ((i = 1; i <= relays; i++)); do
    invite=$("$binary" invite create --uses 1000 --expires 1d --data "$work_dir/relay$i" |
      head -n 1)
    [ -n "$invite" ] || { echo "testnet.sh: no invite from relay $i" >&2; return 1; }
    echo "$invite"
  done >"$invites_file.tmp"
  mv "$invites_file.tmp" "$invites_file"
}

publish_addresses() {
  local i
  if [ -n "$invites_file" ]; then
    write_invites
  fi
  for ((i = 1; i <= relays; i++)); do
    echo "${addresses[i]}"
  done
  if [ -n "$addresses_file" ]; then
    for ((i = 1; i <= relays; i++)); do
      echo "${addresses[i]}"
    done >"$addresses_file.tmp"
    mv "$addresses_file.tmp" "$addresses_file"
  fi
}

# Runs until a signal arrives (handled by on_signal) or a relay exits on its own.
watch_relays() {
  local status=0
  wait -n ${pids[@]+"${pids[@]}"} || status=$?
  [ "$stopping" = 1 ] && return 0
  echo "testnet.sh: a relay exited on its own (status $status)" >&2
  local i
  for i in "${!pids[@]}"; do
    if [ -n "${pids[i]}" ] && ! kill -0 "${pids[i]}" 2>/dev/null; then
      log_tail "$work_dir/relay$i/relay.log"
      pids[i]=""
    fi
  done
  return 1
}

main() {
  parse_args "$@"
  find_binary
  trap cleanup EXIT
  trap on_signal INT TERM
  work_dir=$(mktemp -d "${TMPDIR:-/tmp}/tocsin-testnet.XXXXXX")
  start_network
  publish_addresses
  echo "testnet.sh: $relays relay(s) running; data and logs in $work_dir" >&2
  if [ ${#command_args[@]} -gt 0 ]; then
    local status=0
    TOCSIN_TESTNET_ADDRESSES="${addresses[*]}" TOCSIN_TESTNET_DIR="$work_dir" \
      "${command_args[@]}" || status=$?
    exit "$status"
  fi
  echo "testnet.sh: Ctrl-C to stop" >&2
  watch_relays
}

main "$@"

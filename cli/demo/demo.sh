#!/usr/bin/env bash
# demo.sh: one whole alert on a local Tocsin network, told as a transcript.
#
# Starts two relays on 127.0.0.1 in a temporary folder with deploy/testnet.sh, makes a
# dispatcher (also the tree's admin), 3 zone coordinators each with a backup,
# 2 verifiers and 30 responders, each a real `tocsin` device running `tocsin listen`,
# then runs one alert: a hotline report, verification, the alert to one zone, acks
# arriving, a coordinator whose phone is off so that its backup takes the branch after
# the ack timeout, an update and the all-clear. Everything is removed at the end. Each
# scene checks what it shows (the report UNVERIFIED, the verifier's answer, the acks
# rolled up at the dispatcher, the handover, the update, the all-clear): when one does
# not happen, the demo says so and fails.
#
# Usage: cli/demo/demo.sh [--quick] [--responders N] [--keep-coordinator]
#   --quick              2 responders per zone (for the test suite)
#   --responders N       responders in all (default 30, spread over the 3 zones)
#   --keep-coordinator   coord-1's phone stays on, so no handover happens and the demo
#                        must fail (the test suite checks that it does)
# Binaries: $TOCSIN_BIN (default build/cli/tocsin) and $TOCSIN_RELAY_BIN (default
# build/relay/tocsin-relay), relative to the repository.
#
# DEMO SETTINGS, not for real networks: the passphrase is given through
# TOCSIN_PASSPHRASE (weaker than a prompt: see docs/cli.md), devices use a cheap
# passphrase hash (--insecure-fast-kdf), and the ack timeout is 5 seconds (120 by
# default) so the escalation shows within the demo.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tocsin_bin=${TOCSIN_BIN:-$repo/build/cli/tocsin}
relay_bin=${TOCSIN_RELAY_BIN:-$repo/build/relay/tocsin-relay}
responders=30
keep_coordinator=0
ack_timeout=5
zones=(boyle-heights lincoln-heights el-sereno)

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) responders=6; shift ;;
    --responders) responders="$2"; shift 2 ;;
    --keep-coordinator) keep_coordinator=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

for bin in "$tocsin_bin" "$relay_bin"; do
  [ -x "$bin" ] || { echo "demo.sh: $bin not built (run make demo)" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/tocsin-demo.XXXXXX")
listen_pids=()
pid_of_coord_1=""  # set by start_listen (eval), like every member's
started=$SECONDS
export TOCSIN_PASSPHRASE="demo passphrase, never do this for real"
export TOCSIN_LINGER_SECONDS=0

cleanup() {
  local status=$?
  trap '' INT TERM EXIT
  for pid in ${listen_pids[@]+"${listen_pids[@]}"}; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in ${listen_pids[@]+"${listen_pids[@]}"}; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$testnet_pid" ]; then
    kill -TERM "$testnet_pid" 2>/dev/null || true
    wait "$testnet_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  if [ "$status" -eq 0 ]; then
    say "cleaned up: every process stopped, $work removed"
  else
    echo "demo.sh: failed (status $status); cleaned up" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------------ transcript

say() { printf '[%3ds] %s\n' $((SECONDS - started)) "$*"; }
section() { printf '\n== %s ==\n' "$*"; }
indent() { sed 's/^/        /'; }

# tocsin for member $1 (commands go through its running listen).
t() {
  local who="$1"
  shift
  "$tocsin_bin" --data "$work/$who" "$@"
}

# Waits up to $3 seconds (default 30) until member $1's listen log has $2.
wait_log() {
  local who="$1" text="$2" limit="${3:-30}" deadline
  deadline=$((SECONDS + limit))
  until grep -q -- "$text" "$work/$who.log" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      echo "demo.sh: $who never showed '$text'" >&2
      tail -n 5 "$work/$who.log" >&2 || true
      return 1
    fi
    sleep 0.2
  done
}

# ---------------------------------------------------------------------------- relays

relay_addresses=()
relay_invites=()
testnet_pid=""

# Two relays from deploy/testnet.sh, which writes their invites, then their addresses,
# once both accept connections, and stops them and removes their folder on SIGTERM.
start_relays() {
  "$repo/deploy/testnet.sh" --relays 2 --binary "$relay_bin" \
    --addresses "$work/addresses" --invites "$work/invites" >/dev/null 2>"$work/testnet.log" &
  testnet_pid=$!
  local deadline=$((SECONDS + 90)) i
  until [ -s "$work/addresses" ]; do
    if ! kill -0 "$testnet_pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
      echo "demo.sh: the relays did not start" >&2
      tail -n 5 "$work/testnet.log" >&2 || true
      exit 1
    fi
    sleep 0.1
  done
  mapfile -t addresses <"$work/addresses"
  mapfile -t invites <"$work/invites"
  for i in 1 2; do
    relay_addresses[i]=${addresses[i - 1]}
    relay_invites[i]=${invites[i - 1]}
    say "relay $i on ${relay_addresses[i]##*@}"
  done
}

# --------------------------------------------------------------------------- members

# Makes member $1's device (identity key, a mailbox on each relay) in parallel batches.
make_device() {
  t "$1" init --name "$1" --insecure-fast-kdf \
    --relay "${relay_addresses[1]}" --invite "${relay_invites[1]}" \
    --relay "${relay_addresses[2]}" --invite "${relay_invites[2]}" >/dev/null
}

start_listen() {
  # The binary itself in the background (not through t, a function: its subshell
  # would get the pid, and a signal to it would not reach tocsin).
  "$tocsin_bin" --data "$work/$1" --json listen >"$work/$1.log" 2>"$work/$1.err" &
  listen_pids+=($!)
  eval "pid_of_${1//-/_}=$!"
}

wait_socket() {
  local deadline=$((SECONDS + 30))
  until [ -S "$work/$1/control.sock" ]; do
    [ $SECONDS -lt $deadline ] || { echo "demo.sh: $1 did not start listening" >&2; exit 1; }
    sleep 0.1
  done
}

card_of() { t "$1" card | head -n 1; }

members=()
responder_zone=()

plan_members() {
  members=(dispatcher verifier-1 verifier-2)
  local z i
  for z in 0 1 2; do members+=("coord-$((z + 1))" "backup-$((z + 1))"); done
  for ((i = 1; i <= responders; i++)); do
    members+=("responder-$i")
    responder_zone[i]=$(((i - 1) % 3))
  done
}

make_everyone() {
  local m batch=()
  for m in "${members[@]}"; do
    make_device "$m" &
    batch+=($!)
    if [ ${#batch[@]} -eq 6 ]; then
      for pid in "${batch[@]}"; do wait "$pid"; done
      batch=()
    fi
  done
  for pid in ${batch[@]+"${batch[@]}"}; do wait "$pid"; done
  for m in "${members[@]}"; do start_listen "$m"; done
  for m in "${members[@]}"; do wait_socket "$m"; done
}

add() { t dispatcher tree add "$(card_of "$1")" --name "$1" --no-push "${@:2}" >/dev/null; }

build_tree() {
  t dispatcher tree create eastside --ack-timeout "$ack_timeout" --verify-timeout "$ack_timeout" \
    --zone boyle-heights --zone lincoln-heights --zone el-sereno >/dev/null
  local z i
  for z in 0 1 2; do
    add "backup-$((z + 1))" --role coordinator --parent dispatcher --zone "${zones[z]}"
    add "coord-$((z + 1))" --role coordinator --parent dispatcher --backup "backup-$((z + 1))" \
      --zone "${zones[z]}"
  done
  add verifier-1 --role verifier --parent dispatcher --zone boyle-heights --backup coord-1
  add verifier-2 --role verifier --parent dispatcher --zone boyle-heights
  local skills=(legal_observer documenter accompaniment legal_observer medic)
  for ((i = 1; i <= responders; i++)); do
    z=${responder_zone[i]}
    add "responder-$i" --role responder --parent "coord-$((z + 1))" --zone "${zones[z]}" \
      --skill "${skills[i % 5]}" --language es --language en
  done
  t dispatcher tree push | indent
  for m in "${members[@]:1}"; do wait_log "$m" view_accepted 60; done
}

# ------------------------------------------------------------------------------ acks

# The Boyle Heights responders answer; a few do not, so the reach list shows them.
declare -A acks_sent=()

send_acks() {
  local i n=0 kinds=(responding responding on_scene available_far declined received)
  for ((i = 1; i <= responders; i++)); do
    [ "${responder_zone[i]}" -eq 0 ] || continue
    n=$((n + 1))
    if [ $((n % 4)) -eq 0 ]; then
      say "responder-$i does not answer"
      acks_sent[no_answer]=$((${acks_sent[no_answer]:-0} + 1))
      continue
    fi
    local kind=${kinds[n % 6]}
    t "responder-$i" ack --kind "$kind" --eta $((5 + n * 2)) >/dev/null
    acks_sent[$kind]=$((${acks_sent[$kind]:-0} + 1))
    say "responder-$i acks: $kind"
  done
}

fail() {
  echo "demo.sh: $*" >&2
  exit 1
}

# The dispatcher's roll-up, printed; its text is kept in $status_text.
status_text=""
status() {
  status_text=$(t dispatcher alert status "$alert")
  printf '%s\n' "$status_text" | indent
}

# A number field of the dispatcher's rolled-up totals (alert status --json).
total() {
  t dispatcher --json alert status "$alert" | sed -n 's/.*"totals":{\([^}]*\)}.*/\1/p' |
    sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
}

# True once every count the dispatcher rolled up equals what the responders sent.
rolled_up() {
  local kind
  for kind in responding on_scene available_far declined received no_answer; do
    [ "$(total "$kind")" = "${acks_sent[$kind]:-0}" ] || return 1
  done
}

wait_rolled_up() {
  local deadline=$((SECONDS + 30))
  until rolled_up; do
    [ $SECONDS -lt $deadline ] || fail "the acks were not all rolled up at the dispatcher"
    sleep 0.3
  done
}

json_field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" | head -n 1; }

# ------------------------------------------------------------------ without trees

# When this build has no alert-tree service, the demo runs what exists, and says so:
# cards, contacts, a group alert fanned out with one sender key, and acks as messages.
fallback_story() {
  section "NOTE"
  say "this build of tocsin has no alert-tree support yet: no tree, verification,"
  say "roll-up or escalation. The demo shows what exists: cards, contacts, a group"
  say "alert fanned out to one zone with one encryption, and acks sent back."
  members=(dispatcher)
  local i n=$((responders / 3 > 0 ? responders / 3 : 1))
  for ((i = 1; i <= n; i++)); do members+=("responder-$i"); done
  make_everyone
  say "${#members[@]} devices made, each running 'tocsin listen'"

  section "Cards"
  for m in "${members[@]:1}"; do t dispatcher contact add "$(card_of "$m")" --name "$m" >/dev/null; done
  say "the dispatcher imported the cards of $n Boyle Heights responders"

  section "The zone's group"
  t dispatcher group create boyle-heights "${members[@]:1}" | indent
  local group sender
  for m in "${members[@]:1}"; do
    wait_log "$m" '"type":"group_invite"'
    group=$(grep '"type":"group_invite"' "$work/$m.log" | head -n 1 | json_field group)
    sender=$(grep '"type":"group_invite"' "$work/$m.log" | head -n 1 | json_field contact)
    t "$m" group join "$group" --sender "$sender" --name boyle-heights >/dev/null
  done
  say "every responder accepted the dispatcher's sender key for the group"

  section "06:52 the alert"
  t dispatcher group send boyle-heights \
    "ALERTA — Boyle Heights: agentes en el lavado de autos, Cesar Chavez y Soto. / ALERT — Boyle Heights: agents at the car wash, Cesar Chavez & Soto." | indent
  for m in "${members[@]:1}"; do wait_log "$m" 'ALERTA'; done
  say "all $n responders' screens show it"

  section "acks"
  for m in "${members[@]:1}"; do
    sender=$(grep '"type":"group_invite"' "$work/$m.log" | head -n 1 | json_field contact)
    t "$m" send "$sender" "ACK $m: responding" >/dev/null
  done
  local deadline=$((SECONDS + 30)) got=0
  while [ $SECONDS -lt $deadline ]; do
    got=$(grep -c '"text":"ACK ' "$work/dispatcher.log" || true)
    [ "$got" -ge "$n" ] && break
    sleep 0.2
  done
  say "the dispatcher received $got of $n acks"
  [ "$got" -ge "$n" ]
}

# ------------------------------------------------------------------------------ story

main() {
  section "A local network"
  say "DEMO SETTINGS: passphrase from TOCSIN_PASSPHRASE, cheap passphrase hash,"
  say "ack timeout ${ack_timeout} s (real trees: 120 s). Never use these for real."
  start_relays
  if "$tocsin_bin" tree --help | grep -q "not in this build"; then
    fallback_story
    say "done in $((SECONDS - started)) s"
    return
  fi
  plan_members
  make_everyone
  say "${#members[@]} devices made, each with a mailbox on both relays, each running 'tocsin listen'"

  section "The tree"
  build_tree
  say "tree 'eastside': dispatcher (admin), 3 coordinators with backups, 2 verifiers, $responders responders"
  say "every member holds only its own signed view of the roster"

  section "06:42 the hotline"
  if [ "$keep_coordinator" = 1 ]; then
    say "coord-1's phone stays on (--keep-coordinator): there must be no handover"
  else
    kill -TERM "$pid_of_coord_1" 2>/dev/null || true
    say "coord-1's phone is dead (its listen is stopped): backup-1 will have to take over"
  fi
  local report
  report=$(t responder-2 --json report --zone boyle-heights --source hotline \
    "unmarked vans and agents at the car wash, Cesar Chavez and Soto" | json_field alert)
  say "report ${report:0:8} sent to the dispatcher"
  wait_log dispatcher '"type":"report"'
  local line
  line=$(t dispatcher alert list | grep "^${report:0:8}" || true)
  printf '%s\n' "$line" | indent
  [[ "$line" == *UNVERIFIED* ]] || fail "the report is not shown UNVERIFIED"
  say "the dispatcher sees it, marked UNVERIFIED"

  section "06:43 verification"
  t dispatcher verify request "$report" >/dev/null
  wait_log verifier-1 '"type":"verify_request"'
  say "verifier-1 is asked to verify"
  t verifier-1 verify answer confirmed "$report" --note "two vans, about 8 agents" >/dev/null
  wait_log dispatcher '"type":"verify_result"'
  local outcome
  outcome=$(grep '"type":"verify_result"' "$work/dispatcher.log" | head -n 1 | json_field outcome)
  [ "$outcome" = confirmed ] || fail "verifier-1's answer arrived as '$outcome'"
  say "verification: verifier-1 answers $outcome: two vans, about 8 agents"

  section "06:52 the alert"
  alert=$(t dispatcher --json alert send --from-report "$report" --zone boyle-heights \
    --role legal_observer --role documenter --role accompaniment \
    --es "ALERTA — Boyle Heights: agentes de inmigración en el lavado de autos, Cesar Chavez y Soto. Se necesitan observadores legales y documentadores." \
    --en "ALERT — Boyle Heights: immigration agents at the car wash, Cesar Chavez & Soto. Legal observers and documenters needed." |
    json_field alert)
  say "alert ${alert:0:8} sent to the Boyle Heights group"
  wait_log responder-1 '"type":"alert"'
  say "responder-1's screen (verified: a verifier confirmed the report):"
  line=$(t responder-1 alert list | grep "^${alert:0:8}" || true)
  printf '%s\n' "$line" | indent
  [[ "$line" == *dispatched* && "$line" != *UNVERIFIED* ]] ||
    fail "responder-1 does not show the alert as a verified, dispatched alert"

  section "06:53 acks"
  t backup-1 ack --kind received >/dev/null
  say "backup-1 (on duty, coord-1's backup) acks: received"
  send_acks
  wait_rolled_up
  say "acks rolled up at the dispatcher: ${acks_sent[responding]:-0} responding," \
    "${acks_sent[on_scene]:-0} on scene, ${acks_sent[available_far]:-0} far," \
    "${acks_sent[declined]:-0} declined, ${acks_sent[received]:-0} received," \
    "${acks_sent[no_answer]:-0} no answer"
  say "the dispatcher's screen:"
  status

  section "the ack timeout (${ack_timeout} s) passes"
  wait_log backup-1 '"type":"handover"' $((ack_timeout * 3 + 5)) ||
    fail "backup-1 showed no handover: coord-1's branch was never taken over"
  say "coord-1 never answered: the dispatcher handed its branch to backup-1"
  say "backup-1's screen: the branch it now holds, and whom to reach"
  local deadline_b=$((SECONDS + 15)) backup_text=""
  until backup_text=$(t backup-1 alert status "$alert") && [[ "$backup_text" == *coord-1* ]]; do
    [ $SECONDS -lt $deadline_b ] || fail "backup-1's status does not show coord-1's branch"
    sleep 0.3
  done
  printf '%s\n' "$backup_text" | indent
  local deadline=$((SECONDS + 15))
  until status_text=$(t dispatcher alert status "$alert") &&
    [[ "$status_text" == *"coord-1 (handed over)"* ]]; do
    [ $SECONDS -lt $deadline ] || fail "the dispatcher's status does not show the handover"
    sleep 0.3
  done
  say "the dispatcher's screen:"
  status

  section "07:40 update"
  t dispatcher alert update "$alert" \
    --es "Los agentes se retiran; dos personas detenidas. Se necesitan abogados en el centro de procesamiento." \
    --en "Agents leaving, two people detained; attorneys on call needed at the processing centre." >/dev/null
  wait_log responder-1 '"type":"update"'
  wait_log backup-1 '"type":"update"'
  say "the update reached the zone"

  section "08:10 all clear"
  t dispatcher alert all-clear "$alert" \
    --es "Los agentes se fueron; es seguro retomar la actividad normal." \
    --en "The agents have left; it is safe to resume normal activity." >/dev/null
  wait_log responder-1 '"type":"all_clear"'
  say "responders' screens show the alert as resolved; the dispatcher's:"
  status
  [[ "$status_text" == *"RESOLVED (all_clear)"* ]] || fail "the alert is not shown resolved"
  say "done in $((SECONDS - started)) s"
}

main

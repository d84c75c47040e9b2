# The report of tests/load/compare.sh (sourced): results.csv, medians.csv, compare.md,
# fanout.png, and the self-check that every expected figure is there.

readonly CSV_HEADER="run,system,scenario,n,p50_ms,max_ms,rate_per_s,seconds,rss_mib,durability,tls"

results_csv() {
  awk -v header="$CSV_HEADER" '
    BEGIN { print header; split(header, cols, ",") }
    /^RESULT / {
      split("", f)
      for (i = 2; i <= NF; i++) { eq = index($i, "="); f[substr($i, 1, eq - 1)] = substr($i, eq + 1) }
      line = f["run"]
      for (c = 2; c <= 11; c++) line = line "," f[cols[c]]
      print line
    }' "$OUT_DIR/results.txt" >"$OUT_DIR/results.csv"
}

# Median over the runs of every figure of every (system, scenario, n).
medians_csv() {
  awk -F, '
    function median(list,   v, k, i, j, t) {
      k = split(list, v, " ")
      for (i = 2; i <= k; i++) { t = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
      return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
    }
    NR == 1 { next }
    {
      key = $2 "," $3 "," $4
      if (!(key in runs)) order[++keys] = key
      runs[key]++; tail[key] = $10 "," $11
      for (c = 5; c <= 9; c++) if ($c != "") values[key, c] = values[key, c] " " $c
    }
    END {
      print "system,scenario,n,runs,p50_ms,max_ms,rate_per_s,seconds,rss_mib,durability,tls"
      for (i = 1; i <= keys; i++) {
        key = order[i]; line = key "," runs[key]
        for (c = 5; c <= 9; c++) line = line "," (((key, c) in values) ? sprintf("%.3f", median(values[key, c])) : "")
        print line "," tail[key]
      }
    }' "$OUT_DIR/results.csv" >"$OUT_DIR/medians.csv"
}

# The tables, one per scenario, with Tocsin's ratio to each system.
tables_md() {
  awk -F, -v systems="$(measured_systems | tr '\n' ' ')" -v fanout_n="${FANOUT_N[*]}" '
    function group(x,   s, neg) {
      x = sprintf("%.0f", x); neg = x < 0; if (neg) x = -x; s = ""
      while (length(x) > 3) { s = "," substr(x, length(x) - 2) s; x = substr(x, 1, length(x) - 3) }
      return (neg ? "-" : "") x s
    }
    function has(s, sc, n, m) { return ((s, sc, n, m) in v) && v[s, sc, n, m] != "" }
    # Tocsin (measured at size tn) over system s (at size n).
    function ratio(sc, n, m, s, tn) {
      if (s == "tocsin" || !has("tocsin", sc, tn, m) || !has(s, sc, n, m) || v[s, sc, n, m] == 0) return "—"
      return sprintf("%.2f", v["tocsin", sc, tn, m] / v[s, sc, n, m])
    }
    function dur(d) {
      if (d == "fsync") return "fsync before Stored"
      if (d == "ram") return "RAM (PUBACK from memory)"
      if (d == "always") return "AOF, fsync always"
      if (d == "everysec") return "AOF, fsync every second"
      return d
    }
    function head_row(s, sc, n) { return "| " s " | " dur(d[s]) " | " (t[s] == 1 ? "1.3" : "no") " |" }
    NR > 1 {
      for (c = 5; c <= 9; c++) v[$1, $2, $3, c] = $c
      seen[$1, $2] = 1; if ($10 != "") d[$1] = $10; t[$1] = $11; size[$2] = $3; n_of[$1, $2] = $3
    }
    function simple(sc, m, title, unit, better, fmt,   i, s, n) {
      if (size[sc] == "") return
      print "\n### " title "\n"
      print "| system | durability | TLS | " unit " | Tocsin ÷ system |"
      print "|---|---|---|---:|---:|"
      for (i = 1; i <= ns; i++) {
        s = sys[i]
        if (!seen[s, sc]) { print head_row(s) " failed (no figure) | — |"; continue }
        n = n_of[s, sc]
        val = has(s, sc, n, m) ? (fmt == "int" ? group(v[s, sc, n, m]) : sprintf(fmt, v[s, sc, n, m])) : "failed"
        print head_row(s) " " val " | " ratio(sc, n, m, s, n_of["tocsin", sc]) " |"
      }
      print "\n" better
    }
    function fanout(   i, j, s, n, line, cell) {
      if (size["fanout"] == "") return
      print "\n### Fan-out: one message to N subscribers, time to the last receipt\n"
      line = "| system | durability | TLS |"; sep = "|---|---|---|"
      for (j = 1; j <= nn; j++) { line = line " N = " group(ns_[j]) ": p50 / max (ms) | Tocsin ÷ |"; sep = sep "---:|---:|" }
      print line; print sep
      for (i = 1; i <= ns; i++) {
        s = sys[i]
        line = head_row(s)
        for (j = 1; j <= nn; j++) {
          n = ns_[j]
          cell = has(s, "fanout", n, 5) ? sprintf("%.1f / %.1f", v[s, "fanout", n, 5], v[s, "fanout", n, 6]) : "failed"
          line = line " " cell " | " ratio("fanout", n, 5, s, n) " |"
        }
        print line
      }
      print "\nTocsin ÷ system compares the p50s: below 1, Tocsin reaches the last subscriber sooner."
    }
    END {
      ns = split(systems, sys, " "); nn = split(fanout_n, ns_, " ")
      fanout()
      simple("throughput", 7, "Durable one-to-one throughput: send -> deliver -> ack", "messages/s",
             "Tocsin ÷ system: above 1, Tocsin moves more messages per second.", "int")
      simple("drain", 8, "Offline drain: " group(size["drain"]) " mailboxes x 20 queued messages, all reconnecting at once",
             "seconds", "Tocsin ÷ system: below 1, Tocsin drains sooner.", "%.3f")
      simple("idle", 9, "Idle: " group(size["idle"]) " connections, server memory", "RSS (MiB)",
             "Tocsin ÷ system: below 1, the relay holds its connections in less memory.", "%.1f")
    }' "$OUT_DIR/medians.csv"
}

durability_md() {
  cat <<'EOF'

### What an acknowledgement means (durability)

| system | a message is acknowledged when | lost on a crash or power cut |
|---|---|---|
| tocsin | its RocksDB batch is fsync'd (group commit); then `Stored`, then delivery. TLS 1.3 always; contents end-to-end encrypted | nothing answered `Stored` (an ack is not fsync'd on its own: a power cut may bring back a message acked just before it, delivered again) |
| mosquitto | it is in the broker's memory (QoS 1 PUBACK). `persistence true` only writes a snapshot every `autosave_interval` (1,800 s here, the default) and at a clean exit | everything since the last snapshot |
| redis-always | its XADD is in the append-only file and fsync'd (`appendfsync always`, one fsync per event-loop pass: a group commit) | nothing acknowledged |
| redis-everysec | its XADD is written to the append-only file; a background fsync runs every second | up to about a second of acknowledged messages |

The `-tls` variants are the same servers reached through their TLS 1.3 port (an Ed25519
certificate, as the relay's). Mosquitto could be made durable only by saving its whole
in-memory database per message (`autosave_on_changes`), which no deployment does.
EOF
}

environment_md() {
  local cpu mem
  cpu="$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
  mem="$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
  cat <<EOF
## Tocsin beside Mosquitto and Redis Streams (tests/load/compare.sh)

Measured $(date -u '+%Y-%m-%d %H:%M UTC') in one run of \`tests/load/compare.sh$(
    [[ "$QUICK" == 1 ]] && echo " --quick")$( [[ "$RUNS" -gt 1 ]] && echo " --runs $RUNS")\`
($RUNS run(s); every figure is the median over the runs; ${ELAPSED}s in all), on $(nproc) vCPU
($cpu), $mem, $(. /etc/os-release && echo "$PRETTY_NAME"). Servers and their clients share
the same cores. Load average (1, 5, 15 min) before: $LOAD_BEFORE, after: $LOAD_AFTER.

Versions: $(mosquitto -h 2>/dev/null | head -1 | sed 's/ (build.*//'), Redis $(redis-server --version |
    sed 's/.*v=\([^ ]*\).*/\1/'), $(openssl version | cut -d' ' -f1-2), Tocsin $(git -C "$REPO" \
    describe --always --dirty 2>/dev/null || echo unknown).
EOF
  [[ "$REDIS_TLS" == 0 ]] && echo -e "\nThis redis-server has no TLS support: Redis was measured without TLS only."
  return 0
}

method_md() {
  cat <<EOF

### How each system runs a scenario

- **Fan-out**: Tocsin: one PutBlob + SendViews to N subscribed mailboxes (a 1 KiB sealed
  blob, a 48-byte view each). Mosquitto: N clients subscribed to one topic at QoS 1, one
  512-byte PUBLISH. Redis: N streams, one 512-byte XADD per stream pipelined on one
  connection, N readers blocked in XREAD BLOCK, each acking with XDEL. Time from the
  send to the last receipt; p50 and max over $ALERTS messages after a warm-up, 200 ms apart.
  The subscribers run on one client thread, then on one thread per core; each system
  keeps its better p50 (a single-threaded broker loses its core to a second receiver
  thread, a multi-threaded server starves a single one). Kept: $(receiver_layouts).
- **Throughput**: 4 sending connections, at most 512 unanswered sends each, to 100
  receiving mailboxes (topics, streams) that ack what they receive; 1 KiB messages.
- **Drain**: $(group_digits "$DRAIN_N") mailboxes (persistent sessions, streams) get 20 x 1 KiB
  messages while offline; then all reconnect at once (full TLS handshakes where TLS:
  Tocsin's owners could resume their TLS sessions, but here they do not, as the peers'
  clients do not) and receive and ack everything.
- **Idle**: $(group_digits "$IDLE_N") subscribed connections; the server's resident memory.

Peer clients: tests/load/peers (libmosquitto on epoll threads; hiredis's protocol code
on Asio). Details and caveats: tests/load/peers/README.md.
EOF
}

group_digits() { printf "%'d" "$1"; }

# "system N=n: threads of each run, ..." for the fan-out lines kept in results.txt.
receiver_layouts() {
  awk '
    /^RESULT / && / scenario=fanout / {
      split("", f)
      for (i = 2; i <= NF; i++) { eq = index($i, "="); f[substr($i, 1, eq - 1)] = substr($i, eq + 1) }
      key = f["system"] " N=" f["n"]
      if (!(key in kept)) order[++k] = key
      kept[key] = kept[key] (kept[key] == "" ? "" : "/") (f["receiver_threads"] == "" ? "?" : f["receiver_threads"])
    }
    END {
      for (i = 1; i <= k; i++) printf "%s%s %s", (i > 1 ? "; " : ""), order[i], kept[order[i]]
      if (k == 0) printf "none"
    }' "$OUT_DIR/results.txt"
}

plot_fanout() {
  local dir="$OUT_DIR/plot" system plots=()
  rm -rf "$dir" "$OUT_DIR/fanout.png"
  mkdir -p "$dir"
  for system in $(measured_systems); do
    awk -F, -v s="$system" '$1 == s && $2 == "fanout" && $5 != "" { print $3, $5 }' \
      "$OUT_DIR/medians.csv" | sort -n >"$dir/$system.dat"
    [[ -s "$dir/$system.dat" ]] &&
      plots+=("'$dir/$system.dat' using 1:2 with linespoints lw 2 pt 7 title '$system'")
  done
  [[ ${#plots[@]} -gt 0 ]] || return 0
  local joined
  joined="$(printf '%s, ' "${plots[@]}")"
  gnuplot <<EOF >"$dir/gnuplot.log" 2>&1 || { cat "$dir/gnuplot.log" >&2; return 1; }
set terminal pngcairo size 960,600 font ",11"
set output '$OUT_DIR/fanout.png'
set title "Fan-out: time from the send to the last subscriber (p50)\\n$(nproc) shared vCPUs, servers and clients together; load average before / after: ${LOAD_BEFORE%% *} / ${LOAD_AFTER%% *}" noenhanced
set offsets 0, graph 0.03, graph 0.05, 0
set xlabel 'subscribers (mailboxes)'
set ylabel 'ms'
set key left top
set grid
set xrange [0:*]
set yrange [0:*]
set format x "%'.0f"
plot ${joined%, }
EOF
}

report() {
  results_csv
  medians_csv
  {
    environment_md
    tables_md
    durability_md
    method_md
    if [[ -f "$OUT_DIR/fanout.png" || " ${SCENARIOS[*]} " == *" fanout "* ]]; then
      echo -e "\n![Fan-out p50 against recipients](fanout.png)"
    fi
  } >"$OUT_DIR/compare.md"
  plot_fanout
}

# Every system x scenario x size of every run has its figure, no server is left, the
# outputs exist. Exits non-zero with what is missing.
self_check() {
  local problems=() run system scenario n
  for run in $(seq 1 "$RUNS"); do
    for scenario in "${SCENARIOS[@]}"; do
      for system in $(measured_systems); do
        for n in $(sizes_of "$scenario"); do
          [[ "$system" == tocsin && "$scenario" == throughput ]] && n=""
          awk -F, -v r="$run" -v s="$system" -v sc="$scenario" -v n="$n" '
            $1 == r && $2 == s && $3 == sc && (n == "" || $4 == n) {
              for (c = 5; c <= 9; c++) if ($c != "" && $c + 0 > 0) found = 1 }
            END { exit !found }' "$OUT_DIR/results.csv" ||
            problems+=("no figure: run $run $system $scenario${n:+ n=$n}")
        done
      done
    done
  done
  [[ -z "$SERVER_PID" ]] || problems+=("a server is still running (pid $SERVER_PID)")
  for n in $(seq "$PORT_BASE" $((PORT_BASE + 3))); do
    port_busy "$n" && problems+=("port $n is still listening")
  done
  [[ -s "$OUT_DIR/compare.md" ]] || problems+=("compare.md is empty")
  if [[ " ${SCENARIOS[*]} " == *" fanout "* ]]; then
    [[ -s "$OUT_DIR/fanout.png" ]] || problems+=("fanout.png was not drawn")
  fi
  for n in "${FAILED[@]}"; do problems+=("failed: $n"); done
  if [[ ${#problems[@]} -gt 0 ]]; then
    printf 'compare.sh: %s\n' "${problems[@]}" >&2
    die "${#problems[@]} problem(s); results so far in $OUT_DIR"
  fi
  note "all $(($(wc -l <"$OUT_DIR/results.csv") - 1)) results present; see $OUT_DIR/compare.md"
}

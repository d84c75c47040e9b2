# Servers for tests/load/compare.sh (sourced): every measurement gets a fresh server in
# its own folder under $TMP, on 127.0.0.1, stopped before the next one starts.
#   mosquitto        PORT_BASE      mosquitto-tls   PORT_BASE + 1
#   redis-*          PORT_BASE + 2  redis-*-tls     PORT_BASE + 3 (same server, TLS port)

SERVER_NAME=""

server_port() {
  case "$1" in
    mosquitto) echo "$PORT_BASE" ;;
    mosquitto-tls) echo $((PORT_BASE + 1)) ;;
    redis-*-tls) echo $((PORT_BASE + 3)) ;;
    redis-*) echo $((PORT_BASE + 2)) ;;
  esac
}

# What a peer promises once it has acknowledged a message (the RESULT label).
durability_of() {
  case "$1" in
    mosquitto*) echo ram ;;
    redis-always*) echo always ;;
    redis-everysec*) echo everysec ;;
    tocsin) echo fsync ;;
  esac
}

write_mosquitto_config() {  # dir tls
  local dir="$1" tls="$2" port
  port="$(server_port mosquitto)"
  [[ "$tls" == 1 ]] && port="$(server_port mosquitto-tls)"
  cat >"$dir/mosquitto.conf" <<EOF
# QoS 1 with persistent sessions. persistence writes an in-memory snapshot every
# autosave_interval seconds and at exit: a PUBACK means "in the broker's memory".
per_listener_settings false
allow_anonymous true
persistence true
persistence_location $dir/data/
autosave_interval 1800
# The relay's subscribers take up to 1,024 unacked deliveries (relay_bench.cpp).
max_inflight_messages 1024
max_queued_messages 100000
set_tcp_nodelay true
log_dest file $dir/mosquitto.log
log_type error
log_type warning
listener $port 127.0.0.1
EOF
  if [[ "$tls" == 1 ]]; then
    cat >>"$dir/mosquitto.conf" <<EOF
certfile $TMP/cert.pem
keyfile $TMP/key.pem
tls_version tlsv1.3
EOF
  fi
  mkdir -p "$dir/data"
  # Started as root, mosquitto drops to its own user: let it write its folder.
  if [[ "$(id -u)" == 0 ]] && id mosquitto >/dev/null 2>&1; then
    chown -R mosquitto "$dir"
  fi
}

write_redis_config() {  # dir fsync tls
  local dir="$1" fsync="$2" tls="$3"
  cat >"$dir/redis.conf" <<EOF
bind 127.0.0.1
port $(server_port redis-x)
dir $dir
logfile $dir/redis.log
daemonize no
save ""
appendonly yes
appendfsync $fsync
# 10,000 readers; the relay listens with a backlog of SOMAXCONN too.
maxclients 12000
tcp-backlog 4096
EOF
  if [[ "$tls" == 1 ]]; then
    cat >>"$dir/redis.conf" <<EOF
tls-port $(server_port redis-x-tls)
tls-cert-file $TMP/cert.pem
tls-key-file $TMP/key.pem
tls-ca-cert-file $TMP/cert.pem
tls-auth-clients no
tls-protocols "TLSv1.3"
EOF
  fi
}

# Waits until `port` accepts connections or the server process is gone.
wait_for_port() {  # port pid log
  local i
  for i in $(seq 1 200); do
    kill -0 "$2" 2>/dev/null || { cat "$3" >&2 2>/dev/null; return 1; }
    port_busy "$1" && return 0
    sleep 0.05
  done
  return 1
}

start_server() {  # system
  local system="$1" dir
  stop_server
  local port
  port="$(server_port "$system")"
  port_busy "$port" && die "port $port is busy: $(ss -Hltnp "sport = :$port" | head -1)
  pick free ports with --port-base"
  dir="$(mktemp -d "$TMP/$system.XXXX")"
  chmod 0755 "$dir"
  case "$system" in
    mosquitto*)
      write_mosquitto_config "$dir" "$([[ "$system" == *-tls ]] && echo 1 || echo 0)"
      mosquitto -c "$dir/mosquitto.conf" >"$dir/stdout.log" 2>&1 &
      SERVER_PID=$!
      wait_for_port "$port" "$SERVER_PID" "$dir/mosquitto.log" ||
        die "mosquitto did not start (see $dir)"
      ;;
    redis-*)
      local fsync=always
      [[ "$system" == redis-everysec* ]] && fsync=everysec
      write_redis_config "$dir" "$fsync" "$([[ "$system" == *-tls ]] && echo 1 || echo 0)"
      redis-server "$dir/redis.conf" >"$dir/stdout.log" 2>&1 &
      SERVER_PID=$!
      wait_for_port "$port" "$SERVER_PID" "$dir/redis.log" ||
        die "redis-server did not start: $(tail -3 "$dir/redis.log" 2>/dev/null)"
      ;;
  esac
  SERVER_NAME="$system"
}

stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  local i
  for i in $(seq 1 100); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  SERVER_NAME=""
}

# Debian 12's redis-server is built with TLS; another build may not be: then the
# -tls systems are left out, and the report says why.
probe_redis_tls() {
  local dir="$TMP/redis-probe"
  mkdir -p "$dir"
  write_redis_config "$dir" everysec 1
  redis-server "$dir/redis.conf" >"$dir/stdout.log" 2>&1 &
  SERVER_PID=$!  # stopped by the exit trap if interrupted here
  if wait_for_port "$(server_port redis-x-tls)" "$SERVER_PID" "$dir/redis.log" 2>/dev/null; then
    REDIS_TLS=1
  else
    REDIS_TLS=0
    note "redis-server has no TLS here ($(redis-server --version | cut -d' ' -f3)): -tls left out"
  fi
  stop_server
  rm -rf "$dir"
}

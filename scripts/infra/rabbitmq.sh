# RabbitMQ with the management plugin: the event bus of every service.

: "${RABBITMQ_PORT:=5672}" "${RABBITMQ_MANAGEMENT_PORT:=15672}"
: "${RABBITMQ_USER:=app}" "${RABBITMQ_PASSWORD:=app}"
RMQ_DIR="$DATA/rabbitmq"
RMQ_NODE="${RABBITMQ_NODENAME:-rabbit@localhost}"
RMQ_BIN=/usr/lib/rabbitmq/bin
RMQ_DIST_PORT=$((RABBITMQ_PORT + 20000)) # what RabbitMQ derives from RABBITMQ_NODE_PORT

rabbitmq_installed() { [[ -x $RMQ_BIN/rabbitmq-server ]]; }
rabbitmq_packages() { rabbitmq_installed || echo rabbitmq-server; }
rabbitmq_install() { rabbitmq_installed || die "rabbitmq: $RMQ_BIN/rabbitmq-server missing after apt-get install"; }

# The epmd port (ERL_EPMD_PORT, default 4369) the node registered with, remembered at start so
# that later calls reach the node whatever their own environment says.
rmq_epmd_port() {
  local port
  port="$(read_pid "$RUN/rabbitmq.epmd-port")"
  printf '%s\n' "${port:-${ERL_EPMD_PORT:-4369}}"
}

# Everything RabbitMQ reads lives under .data/rabbitmq; HOME there gives the server and
# rabbitmqctl the same Erlang cookie. RABBITMQ_LOGS=- sends the broker log to stdout, i.e. to
# .data/logs/rabbitmq.log.
RMQ_ENV=(
  HOME="$RMQ_DIR"
  RABBITMQ_NODENAME="$RMQ_NODE"
  RABBITMQ_NODE_IP_ADDRESS="$HOST"
  RABBITMQ_NODE_PORT="$RABBITMQ_PORT"
  RABBITMQ_DIST_PORT="$RMQ_DIST_PORT"
  RABBITMQ_CONF_ENV_FILE="$RMQ_DIR/rabbitmq-env.conf"
  RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq.conf"
  RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ_DIR/advanced.config"
  RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins"
  RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia"
  RABBITMQ_PLUGINS_EXPAND_DIR="$RMQ_DIR/plugins-expand"
  RABBITMQ_LOG_BASE="$LOGS"
  RABBITMQ_LOGS=-
  RABBITMQ_PID_FILE="$RUN/rabbitmq-beam.pid"
)
rmq() {
  local tool="$1"
  shift
  env "${RMQ_ENV[@]}" ERL_EPMD_PORT="$(rmq_epmd_port)" "$RMQ_BIN/$tool" "$@"
}

# We start the launcher (the rabbitmq-server shell script, whose child is the Erlang VM); the VM
# writes its own pid file once it boots. Report the VM when there is one.
rabbitmq_pid() {
  rabbitmq_beam_pid || rabbitmq_launcher_pid
}
rabbitmq_launcher_pid() {
  local pid
  pid="$(read_pid "$RUN/rabbitmq.pid")"
  alive "$pid" rabbitmq-server && printf '%s\n' "$pid"
}
rabbitmq_beam_pid() {
  local pid
  pid="$(read_pid "$RUN/rabbitmq-beam.pid")"
  alive "$pid" beam && printf '%s\n' "$pid"
}
# The distribution port is bound too, so a foreign process on it stops the start as well.
rabbitmq_ports() { echo "$RABBITMQ_PORT $RABBITMQ_MANAGEMENT_PORT $RMQ_DIST_PORT"; }
rabbitmq_describe() { echo "$HOST:$RABBITMQ_PORT, management http://$HOST:$RABBITMQ_MANAGEMENT_PORT"; }

rabbitmq_launch() {
  local pid
  rabbitmq_installed || die "rabbitmq: not installed; run: bash scripts/infra.sh install"
  mkdir -p "$RMQ_DIR/mnesia"
  if [[ ! -s $RMQ_DIR/.erlang.cookie ]]; then
    (umask 077 && head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z' >"$RMQ_DIR/.erlang.cookie")
  fi
  chmod 0400 "$RMQ_DIR/.erlang.cookie"
  : >"$RMQ_DIR/rabbitmq-env.conf" # so that /etc/rabbitmq/rabbitmq-env.conf is not read
  printf '[rabbitmq_management].\n' >"$RMQ_DIR/enabled_plugins"
  cat >"$RMQ_DIR/rabbitmq.conf" <<EOF
# Written by scripts/infra/rabbitmq.sh at every start; edit the script, not this file.
listeners.tcp.1 = $HOST:$RABBITMQ_PORT
management.tcp.ip = $HOST
management.tcp.port = $RABBITMQ_MANAGEMENT_PORT
EOF
  rm -f "$RUN/rabbitmq-beam.pid"
  # Remember which epmd the node registers with, for stop.
  printf '%s\n' "${ERL_EPMD_PORT:-4369}" >"$RUN/rabbitmq.epmd-port"
  pid="$(detach rabbitmq env "${RMQ_ENV[@]}" ERL_EPMD_PORT="$(rmq_epmd_port)" "$RMQ_BIN/rabbitmq-server")"
  printf '%s\n' "$pid" >"$RUN/rabbitmq.pid"
}

rabbitmq_wait() {
  local users
  wait_until rabbitmq "$LOGS/rabbitmq.log" "$(read_pid "$RUN/rabbitmq.pid")" rabbitmq-server \
    ports_open "$RABBITMQ_PORT" "$RABBITMQ_MANAGEMENT_PORT"
  # The application user survives restarts in mnesia. Asking the management API whether it can
  # log in with its permissions on / takes milliseconds; each rabbitmqctl call boots an Erlang VM
  # (~1 s), so those run only on a first boot (or after the credentials changed).
  if command -v curl >/dev/null &&
    curl -fsS -o /dev/null --max-time 5 -u "$RABBITMQ_USER:$RABBITMQ_PASSWORD" \
      "http://$HOST:$RABBITMQ_MANAGEMENT_PORT/api/permissions/%2F/$(urlencode "$RABBITMQ_USER")" 2>/dev/null; then
    return 0
  fi
  rmq rabbitmqctl -q await_startup --timeout "$INFRA_TIMEOUT" >/dev/null 9>&- ||
    fail_with_log rabbitmq "$LOGS/rabbitmq.log" "rabbitmqctl await_startup failed"
  users="$(rmq rabbitmqctl -q list_users --no-table-headers 2>>"$LOGS/rabbitmq.log" 9>&-)" ||
    fail_with_log rabbitmq "$LOGS/rabbitmq.log" "rabbitmqctl list_users failed"
  {
    if cut -f1 <<<"$users" | grep -qxF "$RABBITMQ_USER"; then
      rmq rabbitmqctl -q change_password "$RABBITMQ_USER" "$RABBITMQ_PASSWORD"
    else
      rmq rabbitmqctl -q add_user "$RABBITMQ_USER" "$RABBITMQ_PASSWORD"
    fi
    rmq rabbitmqctl -q set_user_tags "$RABBITMQ_USER" administrator
    rmq rabbitmqctl -q set_permissions -p / "$RABBITMQ_USER" '.*' '.*' '.*'
  } >>"$LOGS/rabbitmq.log" 2>&1 9>&- || fail_with_log rabbitmq "$LOGS/rabbitmq.log" "creating user $RABBITMQ_USER failed"
  log "rabbitmq: user $RABBITMQ_USER (administrator, all permissions on vhost /) ready"
}

rabbitmq_stop() {
  local launcher beam
  launcher="$(rabbitmq_launcher_pid || true)"
  beam="$(rabbitmq_beam_pid || true)"
  if [[ -z $launcher && -z $beam ]]; then
    rabbitmq_epmd_cleanup
    return 0
  fi
  if [[ -n $beam ]]; then
    # RabbitMQ < 3.13 spends 5 s of every shutdown in the management agent's stats handler
    # (rabbit_mgmt_db_handler refreshing events from processes that are already stopping; fixed
    # upstream in rabbitmq-server PR #11070). Removing the handler while the node still runs
    # takes milliseconds, and a shutdown then takes ~1 s instead of ~6 s. Best effort.
    timeout 15 env "${RMQ_ENV[@]}" ERL_EPMD_PORT="$(rmq_epmd_port)" "$RMQ_BIN/rabbitmqctl" -q eval \
      'gen_event:delete_handler(rabbit_event, rabbit_mgmt_db_handler, []).' >/dev/null 2>&1 9>&- || true
    # SIGTERM makes the broker shut down cleanly (as `rabbitmqctl stop` does, without booting a
    # second Erlang VM); the launcher exits with it.
    terminate "$beam" beam "$INFRA_TIMEOUT"
  fi
  if [[ -n $launcher ]]; then terminate "$launcher" rabbitmq-server 10; fi
  rm -f "$RUN/rabbitmq.pid" "$RUN/rabbitmq-beam.pid"
  rabbitmq_epmd_cleanup
}

# epmd outlives the broker; kill it when no Erlang node is registered any more.
rabbitmq_epmd_cleanup() {
  local epmd_port names
  epmd_port="$(rmq_epmd_port)"
  command -v epmd >/dev/null || return 0
  names="$(ERL_EPMD_PORT="$epmd_port" epmd -names 2>/dev/null)" || return 0 # no epmd running
  if grep -q '^name ' <<<"$names"; then
    log "rabbitmq: epmd on port $epmd_port left running (other Erlang nodes use it)"
    return 0
  fi
  STOPPED_PIDS+=("$(ss -Hltnp "sport = :$epmd_port" 2>/dev/null | sed -E -n '1s/.*pid=([0-9]+).*/\1/p')")
  ERL_EPMD_PORT="$epmd_port" epmd -kill >/dev/null 2>&1 || true
}

rabbitmq_env() {
  local u
  u="$(urlencode "$RABBITMQ_USER"):$(urlencode "$RABBITMQ_PASSWORD")"
  printf 'export RABBITMQ_PORT=%s\nexport RABBITMQ_MANAGEMENT_PORT=%s\n' "$RABBITMQ_PORT" "$RABBITMQ_MANAGEMENT_PORT"
  printf 'export RABBITMQ_URL=%q\n' "amqp://$u@$HOST:$RABBITMQ_PORT"
  printf 'export RABBITMQ_MANAGEMENT_URL=%q\n' "http://$u@$HOST:$RABBITMQ_MANAGEMENT_PORT"
}

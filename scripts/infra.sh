#!/usr/bin/env bash
# Local infrastructure for machines without Docker: PostgreSQL, FerretDB (the MongoDB wire protocol
# over our PostgreSQL), RabbitMQ with the management plugin, MailDev as the SMTP catcher, and etcd
# as the service registry.
# Every process runs detached as a plain process and keeps its state under the git-ignored .data/.
#
#   bash scripts/infra.sh install          install what is missing (apt packages, FerretDB build)
#   bash scripts/infra.sh up               install if needed, start what is not running, wait for it
#   bash scripts/infra.sh down             stop everything this script started (no process left)
#   bash scripts/infra.sh status [comp]    one line per component: running/stopped, ports, pid
#   bash scripts/infra.sh start <comp>     start one component (mongo also starts postgres)
#   bash scripts/infra.sh stop <comp>      stop one component
#   bash scripts/infra.sh restart <comp>   stop then start one component
#   bash scripts/infra.sh env              print `export VAR=...` lines for the running infra
#
# Components: postgres, rabbitmq, mongo (FerretDB), smtp (MailDev), etcd.
# Ports and credentials come from the environment, then from .env at the repo root (which never
# overrides a variable that is already set), then from the defaults below.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="$ROOT/.data"
RUN="$DATA/run"
LOGS="$DATA/logs"
COMPONENTS=(postgres mongo rabbitmq smtp etcd)

log() { printf '[infra] %s\n' "$*"; }
warn() { printf '[infra] %s\n' "$*" >&2; }
die() {
  printf '[infra] error: %s\n' "$*" >&2
  exit 1
}

# --- configuration ---------------------------------------------------------------------------

load_dotenv() {
  local file="$ROOT/.env" line key value
  [[ -f $file ]] || return 0
  while IFS= read -r line || [[ -n $line ]]; do
    line="${line%$'\r'}"
    [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    key="${BASH_REMATCH[2]}"
    value="${BASH_REMATCH[3]}"
    [[ -n ${!key+set} ]] && continue # the environment wins over .env
    if [[ $value =~ ^\"(.*)\"[[:space:]]*$ || $value =~ ^\'(.*)\'[[:space:]]*$ ]]; then
      value="${BASH_REMATCH[1]}"
    else
      value="${value%%[[:space:]]#*}"
      value="${value%"${value##*[![:space:]]}"}"
    fi
    export "$key=$value"
  done <"$file"
}
load_dotenv

: "${POSTGRES_PORT:=5432}" "${POSTGRES_USER:=app}" "${POSTGRES_PASSWORD:=app}"
: "${MONGO_PORT:=27017}"
: "${RABBITMQ_PORT:=5672}" "${RABBITMQ_MANAGEMENT_PORT:=15672}"
: "${RABBITMQ_USER:=app}" "${RABBITMQ_PASSWORD:=app}"
: "${SMTP_PORT:=1025}" "${SMTP_UI_PORT:=8025}"
: "${ETCD_PORT:=2379}" "${ETCD_PEER_PORT:=2380}"
: "${INFRA_TIMEOUT:=60}"                                  # seconds, for every wait
: "${MAILDEV_BIN:=$ROOT/node_modules/.bin/maildev}"       # installed by the root package.json
: "${FERRETDB_VERSION:=v1.24.2}"
HOST=127.0.0.1
PG_DATABASES=(users orders ferretdb users_test orders_test)

PGDATA="$DATA/postgres"
PG_SOCKET_DIR="$RUN/postgres"
RMQ_DIR="$DATA/rabbitmq"
RMQ_NODE="${RABBITMQ_NODENAME:-rabbit@localhost}"
RMQ_BIN=/usr/lib/rabbitmq/bin
RMQ_DIST_PORT=$((RABBITMQ_PORT + 20000)) # what RabbitMQ derives from RABBITMQ_NODE_PORT
FERRETDB_BIN="$DATA/bin/ferretdb"

pg_bindir() {
  local dir
  if [[ -n ${POSTGRES_BIN_DIR:-} ]]; then
    printf '%s\n' "$POSTGRES_BIN_DIR"
    return
  fi
  # the newest installed major version
  local dirs=(/usr/lib/postgresql/*/bin)
  for dir in $(printf '%s\n' "${dirs[@]}" | sort -V -r); do
    if [[ -x $dir/postgres ]]; then
      printf '%s\n' "$dir"
      return 0
    fi
  done
  return 1
}

# PostgreSQL refuses to run as root: every server-side tool runs as the postgres OS user, from a
# directory it can read.
as_postgres() { (cd / && runuser -u postgres -- "$@"); }

urlencode() {
  local s="$1" out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c="${s:i:1}"
    case "$c" in
      [a-zA-Z0-9.~_-]) out+="$c" ;;
      *) out+="$(printf '%%%02X' "'$c")" ;;
    esac
  done
  printf '%s' "$out"
}

# --- process helpers ---------------------------------------------------------------------------

# alive PID PATTERN: the process exists and its command line matches (guards against pid reuse).
alive() {
  local pid="$1" pattern="$2" cmd
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ $cmd == *"$pattern"* ]]
}

read_pid() {
  if [[ -f $1 ]]; then head -n1 "$1" 2>/dev/null | tr -dc '0-9'; fi
  return 0
}

# Who listens on a TCP port (empty when free), from `ss -ltnp`.
port_holder() {
  ss -Hltnp "sport = :$1" 2>/dev/null |
    sed -E -n '1{s/.*users:\(\("([^"]+)",pid=([0-9]+).*/\1 (pid \2)/;p}'
}

port_open() { timeout 1 bash -c ": >/dev/tcp/$HOST/$1" 2>/dev/null; }

# Refuse to start COMPONENT when one of its ports is held by a process that is not ours.
check_ports_free() {
  local comp="$1" port holder
  shift
  for port in "$@"; do
    holder="$(port_holder "$port")"
    [[ -z $holder ]] && continue
    die "$comp: port $port is already in use by ${holder} — not started by this script; stop it or set another port (see 'ss -ltnp sport = :$port')"
  done
}

# Send TERM, wait up to TIMEOUT seconds, then KILL the process and its process group.
STOPPED_PIDS=()
terminate() {
  local pid="$1" pattern="$2" timeout="${3:-20}" i
  alive "$pid" "$pattern" || return 0
  STOPPED_PIDS+=("$pid")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    alive "$pid" "$pattern" || return 0
    sleep 0.1
  done
  warn "pid $pid did not stop after ${timeout}s, killing it"
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  sleep 0.2
}

# detach COMPONENT COMMAND...: launch COMMAND detached (own session, no terminal, output appended
# to the component's log, lock fd closed) and print its pid. setsid does not fork when its caller
# is not a process group leader, so $! is the server's own pid.
detach() {
  local logfile="$LOGS/$1.log"
  shift
  printf '\n=== %s scripts/infra.sh: starting %s\n' "$(date -u +%FT%TZ)" "$*" >>"$logfile"
  setsid nohup "$@" </dev/null >>"$logfile" 2>&1 9>&- &
  printf '%s\n' "$!"
}

# wait_until COMPONENT LOG PID PATTERN CHECK...: poll CHECK until it succeeds; fail fast if the
# process dies, fail after INFRA_TIMEOUT with the log's tail.
wait_until() {
  local comp="$1" logfile="$2" pid="$3" pattern="$4" deadline
  shift 4
  deadline=$((SECONDS + INFRA_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    if [[ -n $pid ]] && ! starting "$pid" "$pattern"; then
      fail_with_log "$comp" "$logfile" "exited during start-up"
    fi
    ((SECONDS < deadline)) || fail_with_log "$comp" "$logfile" "not ready after ${INFRA_TIMEOUT}s"
    sleep 0.2
  done
}

# starting PID PATTERN: a process just launched by detach is still there. Until its forked shell
# has exec'd the server (slow on a loaded machine) its command line is this script's, so the
# pattern cannot be required yet; a zombie has exited.
starting() {
  local pid="$1" pattern="$2" state
  alive "$pid" "$pattern" && return 0
  kill -0 "$pid" 2>/dev/null || return 1
  state="$(sed -E 's/^[0-9]+ \(.*\) (.).*/\1/' "/proc/$pid/stat" 2>/dev/null)" || return 1
  [[ $state != Z ]]
}

fail_with_log() {
  warn "$1: $3; last lines of $2:"
  tail -n 40 "$2" 2>/dev/null | sed 's/^/    /' >&2 || true
  exit 1
}

ports_open() {
  local p
  for p in "$@"; do port_open "$p" || return 1; done
}

# --- install -----------------------------------------------------------------------------------

APT_UPDATED=0
apt_install() {
  local created_policy=0
  ((EUID == 0)) || die "installing packages needs root: sudo apt-get install -y $*"
  if ((APT_UPDATED == 0)); then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq 9>&-
    APT_UPDATED=1
  fi
  # Keep the packages' init scripts from starting a system-wide cluster/broker on our ports.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    created_policy=1
  fi
  log "apt-get install $*"
  # No recommends: docker-compose would otherwise pull in a whole Docker engine.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" 9>&- || {
    ((created_policy)) && rm -f /usr/sbin/policy-rc.d
    die "apt-get install $* failed"
  }
  ((created_policy)) && rm -f /usr/sbin/policy-rc.d
  return 0
}

ferretdb_ok() {
  local out
  [[ -x $FERRETDB_BIN ]] || return 1
  out="$("$FERRETDB_BIN" --version 2>/dev/null)" || return 1
  grep -qx "version: $FERRETDB_VERSION" <<<"$out"
}

# FerretDB is built from the module source: `go install …@version` is refused by the module
# proxy here, and a build straight from the read-only module cache panics at start-up because
# build/version/version.txt (generated by upstream's release tooling) is not in the module zip.
install_ferretdb() {
  local src build
  command -v go >/dev/null || die "FerretDB must be built with Go (>= 1.22); install Go and retry"
  log "mongo: building FerretDB $FERRETDB_VERSION (a few minutes the first time)"
  src="$(cd /tmp && go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -n $src && -d $src ]] || die "mongo: go mod download github.com/FerretDB/FerretDB@$FERRETDB_VERSION failed"
  build="$DATA/build/ferretdb"
  rm -rf "$build"
  mkdir -p "$build" "$DATA/bin"
  cp -R "$src/." "$build/"
  chmod -R u+w "$build"
  printf '%s\n' "$FERRETDB_VERSION" >"$build/build/version/version.txt"
  (cd "$build" && CGO_ENABLED=0 go build -trimpath -buildvcs=false -o "$FERRETDB_BIN.tmp" ./cmd/ferretdb) 9>&- ||
    die "mongo: go build of FerretDB failed"
  mv -f "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
  rm -rf "$DATA/build"
  ferretdb_ok || die "mongo: built $FERRETDB_BIN but '--version' does not report $FERRETDB_VERSION"
  log "mongo: FerretDB $FERRETDB_VERSION installed at ${FERRETDB_BIN#"$ROOT"/}"
}

cmd_install() {
  local pkgs=()
  pg_bindir >/dev/null || pkgs+=(postgresql)
  [[ -x $RMQ_BIN/rabbitmq-server ]] || pkgs+=(rabbitmq-server)
  command -v etcd >/dev/null || pkgs+=(etcd-server)
  command -v etcdctl >/dev/null || pkgs+=(etcd-client)
  # Not infrastructure, a tool: the repository tests validate docker-compose.yml with it.
  command -v docker-compose >/dev/null || pkgs+=(docker-compose)
  if ((${#pkgs[@]})); then apt_install "${pkgs[@]}"; fi
  pg_bindir >/dev/null || die "postgres: no server binaries under /usr/lib/postgresql/*/bin"
  ferretdb_ok || install_ferretdb
  if [[ ! -x $MAILDEV_BIN ]]; then
    warn "smtp: $MAILDEV_BIN is missing — run 'npm install' at the repo root first"
  fi
  log "install: done"
}

# --- postgres ----------------------------------------------------------------------------------

postgres_pid() {
  local pid
  pid="$(read_pid "$PGDATA/postmaster.pid")"
  alive "$pid" postgres && printf '%s\n' "$pid"
}
postgres_ports() { echo "$POSTGRES_PORT"; }

postgres_init() {
  local bindir="$1"
  # postgres must be able to reach its directories even though .data belongs to root
  chmod 0755 "$DATA"
  as_postgres test -x "$DATA" ||
    die "postgres: the postgres OS user cannot reach $DATA; make each parent directory traversable (chmod o+x)"
  install -d -o postgres -g postgres -m 0700 "$PGDATA"
  install -d -o postgres -g postgres -m 0755 "$PG_SOCKET_DIR"
  touch "$LOGS/postgres.log"
  chown postgres:postgres "$LOGS/postgres.log"
  [[ -f $PGDATA/PG_VERSION ]] && return 0
  log "postgres: initdb ${PGDATA#"$ROOT"/}"
  as_postgres "$bindir/initdb" -D "$PGDATA" -U postgres --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=peer --auth-host=scram-sha-256 >>"$LOGS/postgres.log" 2>&1 ||
    fail_with_log postgres "$LOGS/postgres.log" "initdb failed"
  printf "\ninclude_if_exists = 'infra.conf'\n" >>"$PGDATA/postgresql.conf"
}

postgres_launch() {
  local bindir
  bindir="$(pg_bindir)" || die "postgres: not installed; run: bash scripts/infra.sh install"
  postgres_init "$bindir"
  # Rewritten at every start so that a changed POSTGRES_PORT takes effect.
  cat >"$PGDATA/infra.conf" <<EOF
# Written by scripts/infra.sh at every start; edit the script, not this file.
listen_addresses = '$HOST'
port = $POSTGRES_PORT
unix_socket_directories = '$PG_SOCKET_DIR'
max_connections = 200
# A throw-away dev/test cluster: durability is traded for speed. A crash of the machine can
# corrupt it (rm -rf .data/postgres to start over); never use these settings for real data.
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  chown postgres:postgres "$PGDATA/infra.conf"
  # After a crash (kill -9), postmaster.pid names a process that init has not reaped yet; postgres
  # would take that zombie for a live postmaster and refuse to start, so give init a moment.
  local stale deadline=$((SECONDS + 10))
  stale="$(read_pid "$PGDATA/postmaster.pid")"
  while [[ -n $stale && -e /proc/$stale ]] && ! alive "$stale" postgres && ((SECONDS < deadline)); do
    sleep 0.2
  done
  as_postgres "$bindir/pg_ctl" -D "$PGDATA" -l "$LOGS/postgres.log" -w -t "$INFRA_TIMEOUT" start \
    >/dev/null 2>&1 9>&- || fail_with_log postgres "$LOGS/postgres.log" "pg_ctl start failed"
}

postgres_ready() {
  local bindir
  bindir="$(pg_bindir)"
  "$bindir/pg_isready" -q -h "$HOST" -p "$POSTGRES_PORT"
}

postgres_wait() {
  wait_until postgres "$LOGS/postgres.log" "$(postgres_pid)" postgres postgres_ready
  postgres_setup
}

# The application role (no superuser, CREATEDB, password over TCP) and databases, idempotently.
postgres_setup() {
  local dbs
  dbs="$(IFS=,; echo "${PG_DATABASES[*]}")"
  as_postgres psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$POSTGRES_PORT" -U postgres -d postgres \
    -v user="$POSTGRES_USER" -v pass="$POSTGRES_PASSWORD" -v dbs="$dbs" >/dev/null 2>>"$LOGS/postgres.log" <<'SQL' ||
SELECT format('CREATE ROLE %I LOGIN', :'user')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER CREATEDB PASSWORD %L', :'user', :'pass') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', d, :'user')
  FROM unnest(string_to_array(:'dbs', ',')) AS d
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = d) \gexec
SQL
    fail_with_log postgres "$LOGS/postgres.log" "creating role/databases failed"
  # FerretDB's lookups only use indexes with this (see the file): an event trigger, so superuser.
  as_postgres psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$POSTGRES_PORT" -U postgres -d ferretdb \
    <"$ROOT/scripts/sql/ferretdb-lookup-indexes.sql" >/dev/null 2>>"$LOGS/postgres.log" ||
    fail_with_log postgres "$LOGS/postgres.log" "installing FerretDB's lookup indexes failed"
}

postgres_stop() {
  local bindir pid
  pid="$(postgres_pid)" || return 0
  STOPPED_PIDS+=("$pid")
  bindir="$(pg_bindir)"
  as_postgres "$bindir/pg_ctl" -D "$PGDATA" -m fast -w -t "$INFRA_TIMEOUT" stop >/dev/null 2>&1 ||
    terminate "$pid" postgres 5
}

# --- mongo (FerretDB on PostgreSQL) ------------------------------------------------------------

mongo_pid() {
  local pid
  pid="$(read_pid "$RUN/mongo.pid")"
  alive "$pid" ferretdb && printf '%s\n' "$pid"
}
mongo_ports() { echo "$MONGO_PORT"; }

mongo_launch() {
  local pid pg_url
  ferretdb_ok || die "mongo: FerretDB is not built; run: bash scripts/infra.sh install"
  mkdir -p "$DATA/ferretdb"
  pg_url="postgres://$(urlencode "$POSTGRES_USER"):$(urlencode "$POSTGRES_PASSWORD")@$HOST:$POSTGRES_PORT/ferretdb"
  # Clients that send no credentials act as the PostgreSQL user of the URL, which is passed in
  # the environment rather than argv to keep the password out of `ps`.
  pid="$(FERRETDB_POSTGRESQL_URL="$pg_url" detach mongo "$FERRETDB_BIN" --handler=postgresql \
    --listen-addr="$HOST:$MONGO_PORT" --state-dir="$DATA/ferretdb" \
    --debug-addr=- --telemetry=disable --log-level=warn)"
  printf '%s\n' "$pid" >"$RUN/mongo.pid"
}

mongo_wait() {
  wait_until mongo "$LOGS/mongo.log" "$(read_pid "$RUN/mongo.pid")" ferretdb port_open "$MONGO_PORT"
}

mongo_stop() {
  local pid
  pid="$(mongo_pid)" || return 0
  terminate "$pid" ferretdb 10
  rm -f "$RUN/mongo.pid"
}

# --- rabbitmq ----------------------------------------------------------------------------------

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
rabbitmq_ports() { echo "$RABBITMQ_PORT $RABBITMQ_MANAGEMENT_PORT"; }

rabbitmq_launch() {
  local pid
  [[ -x $RMQ_BIN/rabbitmq-server ]] || die "rabbitmq: not installed; run: bash scripts/infra.sh install"
  mkdir -p "$RMQ_DIR/mnesia"
  if [[ ! -s $RMQ_DIR/.erlang.cookie ]]; then
    (umask 077 && head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z' >"$RMQ_DIR/.erlang.cookie")
  fi
  chmod 0400 "$RMQ_DIR/.erlang.cookie"
  : >"$RMQ_DIR/rabbitmq-env.conf" # so that /etc/rabbitmq/rabbitmq-env.conf is not read
  printf '[rabbitmq_management].\n' >"$RMQ_DIR/enabled_plugins"
  cat >"$RMQ_DIR/rabbitmq.conf" <<EOF
# Written by scripts/infra.sh at every start; edit the script, not this file.
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

# --- smtp (MailDev) ----------------------------------------------------------------------------

smtp_pid() {
  local pid
  pid="$(read_pid "$RUN/smtp.pid")"
  alive "$pid" maildev && printf '%s\n' "$pid"
}
smtp_ports() { echo "$SMTP_PORT $SMTP_UI_PORT"; }

smtp_check_installed() {
  [[ -x $MAILDEV_BIN ]] ||
    die "smtp: MailDev not found at ${MAILDEV_BIN} — run 'npm install' at the repo root first"
}

smtp_launch() {
  local pid
  smtp_check_installed
  # An empty mail store at every start, like the compose file's Mailpit without a volume.
  rm -rf "$DATA/maildev"
  mkdir -p "$DATA/maildev"
  pid="$(detach smtp "$MAILDEV_BIN" --smtp "$SMTP_PORT" --web "$SMTP_UI_PORT" \
    --ip "$HOST" --mail-directory "$DATA/maildev")"
  printf '%s\n' "$pid" >"$RUN/smtp.pid"
}

smtp_wait() {
  wait_until smtp "$LOGS/smtp.log" "$(read_pid "$RUN/smtp.pid")" maildev ports_open "$SMTP_PORT" "$SMTP_UI_PORT"
}

smtp_stop() {
  local pid
  pid="$(smtp_pid)" || return 0
  terminate "$pid" maildev 10
  rm -f "$RUN/smtp.pid"
}

# --- etcd (the service registry) -----------------------------------------------------------------

ETCD_DIR="$DATA/etcd"

etcd_pid() {
  local pid
  pid="$(read_pid "$RUN/etcd.pid")"
  alive "$pid" "--data-dir=$ETCD_DIR" && printf '%s\n' "$pid"
}
etcd_ports() { echo "$ETCD_PORT $ETCD_PEER_PORT"; }

etcd_launch() {
  local pid unset_env=() name
  command -v etcd >/dev/null || die "etcd: not installed; run: bash scripts/infra.sh install"
  mkdir -p "$ETCD_DIR"
  chmod 0700 "$ETCD_DIR"
  # etcd reads every ETCD_* variable as a flag and refuses one that repeats a command-line flag;
  # ours (ETCD_PORT, ETCD_HOSTS, ...) are not meant for it.
  for name in $(compgen -e | grep '^ETCD_' || true); do unset_env+=(-u "$name"); done
  # A single member on loopback; the peer URL is only its own cluster's.
  pid="$(detach etcd env "${unset_env[@]}" etcd --name=infra --data-dir="$ETCD_DIR" \
    --listen-client-urls="http://$HOST:$ETCD_PORT" --advertise-client-urls="http://$HOST:$ETCD_PORT" \
    --listen-peer-urls="http://$HOST:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://$HOST:$ETCD_PEER_PORT" \
    --initial-cluster="infra=http://$HOST:$ETCD_PEER_PORT" --initial-cluster-state=new \
    --log-level=warn --logger=zap)"
  printf '%s\n' "$pid" >"$RUN/etcd.pid"
}

etcd_ready() { ETCDCTL_API=3 etcdctl --endpoints="http://$HOST:$ETCD_PORT" --command-timeout=2s endpoint health; }

etcd_wait() {
  wait_until etcd "$LOGS/etcd.log" "$(read_pid "$RUN/etcd.pid")" "--data-dir=$ETCD_DIR" etcd_ready
}

etcd_stop() {
  local pid
  pid="$(etcd_pid)" || return 0
  terminate "$pid" "--data-dir=$ETCD_DIR" 10
  rm -f "$RUN/etcd.pid"
}

# --- generic component operations --------------------------------------------------------------

describe() {
  case "$1" in
    postgres) echo "$HOST:$POSTGRES_PORT" ;;
    mongo) echo "$HOST:$MONGO_PORT (FerretDB)" ;;
    rabbitmq) echo "$HOST:$RABBITMQ_PORT, management http://$HOST:$RABBITMQ_MANAGEMENT_PORT" ;;
    smtp) echo "$HOST:$SMTP_PORT, web UI http://$HOST:$SMTP_UI_PORT" ;;
    etcd) echo "http://$HOST:$ETCD_PORT (peer $ETCD_PEER_PORT)" ;;
  esac
}

valid_component() {
  local c
  for c in "${COMPONENTS[@]}"; do [[ $1 == "$c" ]] && return 0; done
  die "unknown component '$1' (expected one of: ${COMPONENTS[*]})"
}

running() { "$1_pid" >/dev/null 2>&1; }

# launch_checked COMPONENT: launch unless already running; returns 1 when it was running.
launch_checked() {
  local comp="$1" ports
  if running "$comp"; then
    log "$comp: already running on $(describe "$comp") (pid $("${comp}_pid"))"
    return 1
  fi
  read -r -a ports <<<"$("${comp}_ports")"
  [[ $comp == rabbitmq ]] && ports+=("$RMQ_DIST_PORT")
  check_ports_free "$comp" "${ports[@]}"
  "${comp}_launch"
}

start_one() {
  local comp="$1"
  if [[ $comp == mongo ]] && ! running postgres; then
    log "mongo: needs postgres, starting it first"
    start_one postgres
  fi
  if launch_checked "$comp"; then
    "${comp}_wait"
    log "$comp: started on $(describe "$comp") (pid $("${comp}_pid"))"
  fi
}

stop_one() {
  local comp="$1"
  if running "$comp"; then
    "${comp}_stop"
    log "$comp: stopped"
  else
    log "$comp: not running"
  fi
}

prepare_dirs() {
  mkdir -p "$RUN" "$LOGS" "$DATA/bin"
  chmod 0755 "$DATA"
}

# Serialise concurrent invocations (two test runners calling `up` at once).
take_lock() {
  exec 9>"$RUN/infra.lock"
  flock -w $((INFRA_TIMEOUT * 5)) 9 || die "another scripts/infra.sh is still running (lock $RUN/infra.lock)"
}

cmd_up() {
  local comp ports started=() missing=()
  pg_bindir >/dev/null || missing+=(postgresql)
  [[ -x $RMQ_BIN/rabbitmq-server ]] || missing+=(rabbitmq-server)
  command -v etcd >/dev/null && command -v etcdctl >/dev/null || missing+=(etcd)
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  ferretdb_ok || missing+=(ferretdb)
  if ((${#missing[@]})); then cmd_install; fi
  running smtp || smtp_check_installed
  # Fail fast on a foreign port before starting anything.
  for comp in "${COMPONENTS[@]}"; do
    running "$comp" && continue
    read -r -a ports <<<"$("${comp}_ports")"
    [[ $comp == rabbitmq ]] && ports+=("$RMQ_DIST_PORT")
    check_ports_free "$comp" "${ports[@]}"
  done
  # RabbitMQ boots slowest: launch it (and MailDev) first and wait for them last.
  for comp in rabbitmq smtp etcd postgres mongo; do
    if launch_checked "$comp"; then
      started+=("$comp")
      if [[ $comp == postgres || $comp == mongo ]]; then "${comp}_wait"; fi
    fi
  done
  for comp in "${started[@]}"; do
    if [[ $comp == rabbitmq || $comp == smtp || $comp == etcd ]]; then "${comp}_wait"; fi
  done
  for comp in "${COMPONENTS[@]}"; do
    if [[ " ${started[*]} " == *" $comp "* ]]; then
      log "$comp: started on $(describe "$comp") (pid $("${comp}_pid"))"
    fi
  done
  log "up: all running (${SECONDS}s)"
}

cmd_down() {
  local comp pid pattern
  for comp in etcd smtp mongo rabbitmq postgres; do stop_one "$comp"; done
  # Nothing of ours may survive, even if a pid file was lost: our servers name .data paths on
  # their command lines.
  for pattern in "$FERRETDB_BIN" "--mail-directory $DATA/maildev" "-home $RMQ_DIR" "-D $PGDATA" "--data-dir=$ETCD_DIR"; do
    for pid in $(pgrep -f -- "$pattern" 2>/dev/null || true); do
      warn "left-over process $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) — killing it"
      kill -KILL "$pid" 2>/dev/null || true
    done
  done
  rabbitmq_epmd_cleanup
  # Our servers were re-parented to init, which reaps them a moment after they exit; wait for
  # that (briefly) so that `pgrep` right after `down` does not list <defunct> entries.
  local deadline=$((SECONDS + 5))
  for pid in "${STOPPED_PIDS[@]}"; do
    while [[ -n $pid && -e /proc/$pid ]] && ((SECONDS < deadline)); do sleep 0.1; done
  done
}

cmd_status() {
  local comp pid holder port ports comps=("$@")
  ((${#comps[@]})) || comps=("${COMPONENTS[@]}")
  for comp in "${comps[@]}"; do
    valid_component "$comp"
    read -r -a ports <<<"$("${comp}_ports")"
    if pid="$("${comp}_pid" 2>/dev/null)"; then
      printf '%-9s running  %-55s pid %s\n' "$comp" "$(describe "$comp")" "$pid"
    else
      holder=""
      for port in "${ports[@]}"; do
        [[ -n $(port_holder "$port") ]] && holder+=" port $port held by $(port_holder "$port");"
      done
      printf '%-9s stopped  %-55s%s\n' "$comp" "$(describe "$comp")" "${holder:+ (foreign:${holder%;})}"
    fi
  done
}

cmd_env() {
  local u
  u="$(urlencode "$POSTGRES_USER"):$(urlencode "$POSTGRES_PASSWORD")"
  if running postgres; then
    printf 'export POSTGRES_HOST=%s\nexport POSTGRES_PORT=%s\n' "$HOST" "$POSTGRES_PORT"
    printf 'export POSTGRES_USER=%q\nexport POSTGRES_PASSWORD=%q\n' "$POSTGRES_USER" "$POSTGRES_PASSWORD"
    printf 'export POSTGRES_URL=%q\n' "postgres://$u@$HOST:$POSTGRES_PORT"
  else
    echo "# postgres is not running"
  fi
  if running mongo; then
    printf 'export MONGO_PORT=%s\nexport MONGO_URL=%q\n' "$MONGO_PORT" "mongodb://$HOST:$MONGO_PORT"
  else
    echo "# mongo is not running"
  fi
  if running rabbitmq; then
    u="$(urlencode "$RABBITMQ_USER"):$(urlencode "$RABBITMQ_PASSWORD")"
    printf 'export RABBITMQ_PORT=%s\nexport RABBITMQ_MANAGEMENT_PORT=%s\n' "$RABBITMQ_PORT" "$RABBITMQ_MANAGEMENT_PORT"
    printf 'export RABBITMQ_URL=%q\n' "amqp://$u@$HOST:$RABBITMQ_PORT"
    printf 'export RABBITMQ_MANAGEMENT_URL=%q\n' "http://$u@$HOST:$RABBITMQ_MANAGEMENT_PORT"
  else
    echo "# rabbitmq is not running"
  fi
  if running smtp; then
    printf 'export SMTP_HOST=%s\nexport SMTP_PORT=%s\nexport SMTP_UI_PORT=%s\n' "$HOST" "$SMTP_PORT" "$SMTP_UI_PORT"
    printf 'export SMTP_UI_URL=%q\n' "http://$HOST:$SMTP_UI_PORT"
  else
    echo "# smtp is not running"
  fi
  if running etcd; then
    printf 'export ETCD_PORT=%s\nexport ETCD_HOSTS=%q\n' "$ETCD_PORT" "http://$HOST:$ETCD_PORT"
  else
    echo "# etcd is not running"
  fi
}

usage() {
  sed -n '6,13s/^#   /  /p' "${BASH_SOURCE[0]}"
  echo "Components: ${COMPONENTS[*]}"
}

main() {
  local cmd="${1:-}"
  case "$cmd" in
    install | up | down | start | stop | restart) prepare_dirs && take_lock ;;
    status | env) ;;
    -h | --help | help | "")
      usage
      return 0
      ;;
    *)
      usage >&2
      die "unknown command '$cmd'"
      ;;
  esac
  case "$cmd" in
    install) cmd_install ;;
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status "${@:2}" ;;
    env) cmd_env ;;
    start | stop | restart)
      [[ $# -eq 2 ]] || die "usage: bash scripts/infra.sh $cmd <$(IFS='|'; echo "${COMPONENTS[*]}")>"
      valid_component "$2"
      case "$cmd" in
        start) start_one "$2" ;;
        stop) stop_one "$2" ;;
        restart)
          stop_one "$2"
          start_one "$2"
          ;;
      esac
      ;;
  esac
}

main "$@"

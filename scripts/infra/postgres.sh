# PostgreSQL: the databases of user-service and order-service, and FerretDB's store.

: "${POSTGRES_PORT:=5432}" "${POSTGRES_USER:=app}" "${POSTGRES_PASSWORD:=app}"
PG_DATABASES=(users orders ferretdb users_test orders_test)
PGDATA="$DATA/postgres"
PG_SOCKET_DIR="$RUN/postgres"

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

postgres_packages() { pg_bindir >/dev/null || echo postgresql; }
postgres_installed() { pg_bindir >/dev/null; }
postgres_install() { pg_bindir >/dev/null || die "postgres: no server binaries under /usr/lib/postgresql/*/bin"; }

postgres_pid() {
  local pid
  pid="$(read_pid "$PGDATA/postmaster.pid")"
  alive "$pid" postgres && printf '%s\n' "$pid"
}
postgres_ports() { echo "$POSTGRES_PORT"; }
postgres_describe() { echo "$HOST:$POSTGRES_PORT"; }

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
# Written by scripts/infra/postgres.sh at every start; edit the script, not this file.
listen_addresses = '$HOST'
port = $POSTGRES_PORT
unix_socket_directories = '$PG_SOCKET_DIR'
max_connections = 200
# A throw-away dev/test cluster: durability is traded for speed. A crash of the machine can
# corrupt it (rm -rf .data/postgres to start over); never use these settings for real data.
fsync = off
synchronous_commit = off
full_page_writes = off
# Statement counts and times per database, for the bench's round trips per order and per read.
shared_preload_libraries = 'pg_stat_statements'
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
-- The bench reads every database's statements (as the application role) from the postgres database.
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
SELECT format('GRANT pg_read_all_stats TO %I', :'user') \gexec
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

postgres_env() {
  printf 'export POSTGRES_HOST=%s\nexport POSTGRES_PORT=%s\n' "$HOST" "$POSTGRES_PORT"
  printf 'export POSTGRES_USER=%q\nexport POSTGRES_PASSWORD=%q\n' "$POSTGRES_USER" "$POSTGRES_PASSWORD"
  printf 'export POSTGRES_URL=%q\n' "postgres://$(urlencode "$POSTGRES_USER"):$(urlencode "$POSTGRES_PASSWORD")@$HOST:$POSTGRES_PORT"
}

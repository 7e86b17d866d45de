# Sourced by scripts/infra.sh: paths, logging, process and port helpers, apt, and the operations
# every component shares. A component is a file beside this one that defines
#   <c>_packages   Debian packages it still needs (printed; nothing when installed)
#   <c>_install    what follows apt: a build, or a check that names the missing piece
#   <c>_installed  true when it can be launched
#   <c>_pid        its server's pid when running (from its pid file, never by name)
#   <c>_ports      every port it binds; <c>_describe  where it listens, for people
#   <c>_launch     start it detached;  <c>_wait  until it serves;  <c>_stop  stop it, wait
#   <c>_env        `export` lines for clients
# and optionally <c>_requires, components that must run first.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DATA="$ROOT/.data"
RUN="$DATA/run"
LOGS="$DATA/logs"
HOST=127.0.0.1

log() { printf '[infra] %s\n' "$*"; }
warn() { printf '[infra] %s\n' "$*" >&2; }
die() {
  printf '[infra] error: %s\n' "$*" >&2
  exit 1
}

# shellcheck source=../lib/dotenv.sh
source "$ROOT/scripts/lib/dotenv.sh"

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

# --- processes and ports -----------------------------------------------------------------------

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

# --- apt ---------------------------------------------------------------------------------------

# The packages' init scripts would start a system-wide cluster or broker on our ports: while apt
# runs, a policy-rc.d forbids that. It is removed on every way out of this script, including an
# error or Ctrl-C, and only when this script wrote it.
POLICY_RC=/usr/sbin/policy-rc.d
remove_policy_rc() { rm -f "$POLICY_RC"; }

APT_UPDATED=0
apt_install() {
  ((EUID == 0)) || die "installing packages needs root: sudo apt-get install -y $*"
  if ((APT_UPDATED == 0)); then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq 9>&-
    APT_UPDATED=1
  fi
  local ours=0
  if [[ ! -e $POLICY_RC ]]; then
    trap remove_policy_rc EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    printf '#!/bin/sh\nexit 101\n' >"$POLICY_RC"
    chmod +x "$POLICY_RC"
    ours=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" 9>&- ||
    die "apt-get install $* failed"
  if ((ours)); then
    remove_policy_rc
    trap - EXIT INT TERM
  fi
}

# --- operations on one component ----------------------------------------------------------------

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
    log "$comp: already running on $("${comp}_describe") (pid $("${comp}_pid"))"
    return 1
  fi
  read -r -a ports <<<"$("${comp}_ports")"
  check_ports_free "$comp" "${ports[@]}"
  "${comp}_launch"
}

start_one() {
  local comp="$1" needed
  if declare -F "${comp}_requires" >/dev/null; then
    for needed in $("${comp}_requires"); do
      running "$needed" && continue
      log "$comp: needs $needed, starting it first"
      start_one "$needed"
    done
  fi
  if launch_checked "$comp"; then
    "${comp}_wait"
    log "$comp: started on $("${comp}_describe") (pid $("${comp}_pid"))"
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

#!/usr/bin/env bash
# Local infrastructure for machines without Docker, as plain detached processes that keep their
# state under the git-ignored .data/. One file per component under scripts/infra/; this file only
# dispatches the commands (see usage below).
set -euo pipefail

INFRA="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/infra"
# shellcheck source=infra/common.sh
source "$INFRA/common.sh"
# The environment wins over .env, which wins over each component's defaults.
if [[ -f $ROOT/.env ]]; then dotenv_export "$ROOT/.env"; fi
: "${INFRA_TIMEOUT:=60}" # seconds, for every wait

COMPONENTS=(postgres mongo rabbitmq smtp etcd prometheus jaeger)
for component in "${COMPONENTS[@]}"; do
  # shellcheck source=/dev/null
  source "$INFRA/$component.sh"
done

usage() {
  cat <<EOF
Usage: bash scripts/infra.sh <command> [component]

  install          install what is missing (apt packages, the FerretDB and Jaeger builds)
  up               install if needed, start what is not running, wait until it serves
  down             stop everything this script started (by its pid files)
  status [comp]    one line per component: running/stopped, address, pid
  start <comp>     start one component (mongo starts postgres first)
  stop <comp>      stop one component
  restart <comp>   stop, then start one component
  env              print 'export VAR=...' lines for the running components

Components: postgres, mongo (FerretDB on postgres), rabbitmq, smtp (MailDev), etcd,
prometheus (scrapes the services found through the gateway), jaeger (traces, all-in-one).
Ports and credentials come from the environment, then .env, then the defaults of .env.example
(built into scripts/infra/<component>.sh). Logs: .data/logs/<component>.log.
EOF
}

cmd_install() {
  local comp more pkgs=()
  for comp in "${COMPONENTS[@]}"; do
    read -r -a more <<<"$("${comp}_packages" | tr '\n' ' ')"
    pkgs+=("${more[@]}")
  done
  if ((${#pkgs[@]})); then apt_install "${pkgs[@]}"; fi
  for comp in "${COMPONENTS[@]}"; do "${comp}_install"; done
  log "install: done"
}

cmd_up() {
  local comp ports started=() missing=()
  for comp in "${COMPONENTS[@]}"; do "${comp}_installed" || missing+=("$comp"); done
  if ((${#missing[@]})); then cmd_install; fi
  # Fail fast, before starting anything, on a missing program or a foreign port.
  for comp in "${COMPONENTS[@]}"; do
    running "$comp" && continue
    "${comp}_installed" || die "$comp: still not installed after 'install' (see above)"
    read -r -a ports <<<"$("${comp}_ports")"
    check_ports_free "$comp" "${ports[@]}"
  done
  # RabbitMQ boots slowest: the components nothing depends on are launched first and waited for
  # last; mongo needs postgres serving.
  for comp in rabbitmq smtp etcd prometheus jaeger postgres mongo; do
    if launch_checked "$comp"; then
      started+=("$comp")
      if [[ $comp == postgres || $comp == mongo ]]; then "${comp}_wait"; fi
    fi
  done
  for comp in "${started[@]}"; do
    if [[ $comp != postgres && $comp != mongo ]]; then "${comp}_wait"; fi
  done
  for comp in "${started[@]}"; do
    log "$comp: started on $("${comp}_describe") (pid $("${comp}_pid"))"
  done
  log "up: all running (${SECONDS}s)"
}

cmd_down() {
  local comp pid deadline
  for comp in jaeger prometheus etcd smtp mongo rabbitmq postgres; do stop_one "$comp"; done
  rabbitmq_epmd_cleanup
  # Our servers were re-parented to init, which reaps them a moment after they exit; wait for
  # that (briefly) so that a process listing right after `down` shows no <defunct> entries.
  deadline=$((SECONDS + 5))
  for pid in "${STOPPED_PIDS[@]}"; do
    while [[ -n $pid && -e /proc/$pid ]] && ((SECONDS < deadline)); do sleep 0.1; done
  done
}

cmd_status() {
  local comp pid holder port ports comps=("$@")
  ((${#comps[@]})) || comps=("${COMPONENTS[@]}")
  for comp in "${comps[@]}"; do
    valid_component "$comp"
    if pid="$("${comp}_pid" 2>/dev/null)"; then
      printf '%-10s running  %-55s pid %s\n' "$comp" "$("${comp}_describe")" "$pid"
      continue
    fi
    holder=""
    read -r -a ports <<<"$("${comp}_ports")"
    for port in "${ports[@]}"; do
      [[ -n $(port_holder "$port") ]] && holder+=" port $port held by $(port_holder "$port");"
    done
    printf '%-10s stopped  %-55s%s\n' "$comp" "$("${comp}_describe")" "${holder:+ (foreign:${holder%;})}"
  done
}

cmd_env() {
  local comp
  for comp in "${COMPONENTS[@]}"; do
    if running "$comp"; then "${comp}_env"; else echo "# $comp is not running"; fi
  done
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
      if [[ $cmd != start ]]; then stop_one "$2"; fi
      if [[ $cmd != stop ]]; then start_one "$2"; fi
      ;;
  esac
}

main "$@"

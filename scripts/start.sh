#!/usr/bin/env bash
# `npm start`: the whole system on this machine without Docker. Installs and builds what is
# missing, brings up the local infrastructure, then runs the six services as plain Node processes
# with readable logs. Ctrl-C stops the services and then the infrastructure
# (KEEP_INFRA=1 leaves the infrastructure running).
set -euo pipefail
source "$(dirname "$0")/lib/node.sh"
ensure_dependencies
build_all
load_dotenv
bash "$ROOT/scripts/infra.sh" up

SERVICES=(user-service product-service inventory-service order-service notification-service api-gateway)
pids=()

stop_all() {
  trap - INT TERM EXIT
  echo
  echo "[start] stopping services"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${KEEP_INFRA:-0}" != "1" ]; then bash "$ROOT/scripts/infra.sh" down; fi
}
trap stop_all INT TERM EXIT

for service in "${SERVICES[@]}"; do
  # Each service logs JSON; pino-pretty turns it into one readable, coloured line per event.
  # Process substitution keeps $! the service's own pid, so Ctrl-C reaches it as SIGTERM.
  # SERVICE_NODE_OPTIONS (heap limits) for the services only, not for the build or the tools.
  (cd "$ROOT/$service" && NODE_OPTIONS="${SERVICE_NODE_OPTIONS:-}" exec node dist/src/main.js) \
    > >(pino-pretty --colorize --translateTime 'HH:MM:ss.l' --ignore pid,hostname,service --messageFormat "{name} | {msg}") 2>&1 &
  pids+=("$!")
done

gateway="http://127.0.0.1:${GATEWAY_PORT:-3000}"
for _ in $(seq 1 120); do
  if node -e "fetch('$gateway/health/ready').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then
    echo "[start] all services ready: API $gateway/api, docs $gateway/docs — Ctrl-C stops everything"
    break
  fi
  sleep 1
done
wait

#!/usr/bin/env bash
# `npm start`: the whole system on this machine without Docker. Installs and builds what is
# missing, brings up the local infrastructure, then runs the six services as plain Node processes
# with readable logs. Ctrl-C stops the services and then the infrastructure
# (KEEP_INFRA=1 leaves the infrastructure running).
# REPLICAS=product-service=2,inventory-service=3 runs more instances of a service: the first on the
# service's port, the others on ports the system picks; each registers in etcd and is found there.
set -euo pipefail
source "$(dirname "$0")/lib/node.sh"
ensure_dependencies
build_all
load_dotenv
bash "$ROOT/scripts/infra.sh" up
# The services connect to the infrastructure just started, on the ports .env gave it: a changed
# RABBITMQ_PORT (say) must not leave RABBITMQ_URL pointing at another broker on the default port.
own_otlp_endpoint="${OTEL_EXPORTER_OTLP_ENDPOINT:-}"
eval "$(bash "$ROOT/scripts/infra.sh" env)"
# Observability on by default: traces to the local Jaeger (TRACING=0, or an OTEL_EXPORTER_OTLP_ENDPOINT
# of your own, changes that), and the metrics token the local Prometheus scrapes with. The infra
# environment names the local Jaeger, so TRACING=0 must unset it again, or tracing stays on.
if [ "${TRACING:-1}" != "0" ]; then
  export OTEL_EXPORTER_OTLP_ENDPOINT="${own_otlp_endpoint:-${OTEL_EXPORTER_OTLP_ENDPOINT:-http://127.0.0.1:${JAEGER_OTLP_HTTP_PORT:-4318}}}"
else
  unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
fi
if [ -z "${METRICS_TOKEN:-}" ] && [ -s "$ROOT/.data/prometheus/generated-token" ]; then
  METRICS_TOKEN="$(cat "$ROOT/.data/prometheus/generated-token")"
  export METRICS_TOKEN
fi

SERVICES=(user-service product-service inventory-service order-service notification-service api-gateway)
declare -A PORT_VARIABLE=([user-service]=USER_SERVICE_PORT [product-service]=PRODUCT_SERVICE_PORT [inventory-service]=INVENTORY_SERVICE_PORT
  [order-service]=ORDER_SERVICE_PORT [notification-service]=NOTIFICATION_SERVICE_PORT [api-gateway]=GATEWAY_PORT)
declare -A COUNT=()
for service in "${SERVICES[@]}"; do COUNT[$service]=1; done
IFS=',' read -ra replica_settings <<< "${REPLICAS:-}"
for setting in "${replica_settings[@]}"; do
  [ -z "$setting" ] && continue
  name="${setting%%=*}" count="${setting#*=}"
  if [ -z "${COUNT[$name]+set}" ] || ! [[ "$count" =~ ^[1-9][0-9]?$ ]]; then
    echo "[start] REPLICAS: '$setting' is not <service>=<1..99> for one of: ${SERVICES[*]}" >&2
    exit 1
  fi
  COUNT[$name]=$count
done
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

# One instance of a service. Each logs JSON; pino-pretty turns it into one readable, coloured
# line per event. Process substitution keeps $! the service's own pid, so Ctrl-C reaches it as
# SIGTERM. SERVICE_NODE_OPTIONS (heap limits) for the services only, not for the build or tools.
# LOG_FORMAT=json keeps the JSON lines as production writes them (what the bench runs with:
# pino-pretty costs a process and CPU per line that production does not pay). SERVICES_ROOT runs
# the built services of another checkout (the bench's comparison of two revisions).
#
# E-mails are work that can wait; an order's answer is not. When the machine runs out of CPU,
# notification-service runs at a lower priority (nice 10), so the order path keeps its latency and
# the e-mails catch up once the load passes — compose gives it a smaller cpu_shares for the same
# reason. Measured at 100 orders/s on 2 cores (more than they sustain): POST → CONFIRMED p99
# 1.1–6.7 s at equal priority, 0.4–0.9 s with it, and every queue empty sooner (bench/README.md).
launch() {
  local service="$1" port_setting=("${@:2}") root="${SERVICES_ROOT:-$ROOT}" priority=()
  [ "$service" = notification-service ] && priority=(nice -n 10)
  if [ "${LOG_FORMAT:-pretty}" = "json" ]; then
    (cd "$root/$service" && NODE_OPTIONS="${SERVICE_NODE_OPTIONS:-}" exec env "${port_setting[@]}" "${priority[@]}" node --require @oip/platform/telemetry dist/src/main.js) 2>&1 &
  else
    (cd "$root/$service" && NODE_OPTIONS="${SERVICE_NODE_OPTIONS:-}" exec env "${port_setting[@]}" "${priority[@]}" node --require @oip/platform/telemetry dist/src/main.js) \
      > >(pino-pretty --colorize --translateTime 'HH:MM:ss.l' --ignore pid,hostname,service --messageFormat "{name} | {msg}") 2>&1 &
  fi
  pids+=("$!")
}

gateway="http://127.0.0.1:${GATEWAY_PORT:-3000}"
wait_until_ready() {
  for _ in $(seq 1 120); do
    if node -e "fetch('$gateway/health/ready').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then return 0; fi
    sleep 1
  done
  echo "[start] the gateway was not ready within 120 s; see the logs above" >&2
  return 1
}

for service in "${SERVICES[@]}"; do launch "$service"; done
wait_until_ready
# Further instances once the first of each is ready, so database migrations never run twice at
# once; they take a port the system picks and are found through the registry.
for service in "${SERVICES[@]}"; do
  for ((instance = 2; instance <= COUNT[$service]; instance++)); do launch "$service" "${PORT_VARIABLE[$service]}=0"; done
done
echo "[start] all services ready: web app $gateway/, API $gateway/api, docs $gateway/docs, registry $gateway/registry (admin) — Ctrl-C stops everything"
tracing="tracing off (TRACING=0)"
[ -n "${OTEL_EXPORTER_OTLP_ENDPOINT:-}" ] && tracing="services export to $OTEL_EXPORTER_OTLP_ENDPOINT"
echo "[start] traces: Jaeger UI http://127.0.0.1:${JAEGER_UI_PORT:-16686} ($tracing); metrics and alerts: Prometheus http://127.0.0.1:${PROMETHEUS_PORT:-9090}"
wait

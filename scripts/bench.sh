#!/usr/bin/env bash
# `npm run bench`: measures the local stack. Uses a stack that is already running (npm start);
# otherwise starts one for the run — as production runs, with the gateway's rate limit lifted since
# the load comes from one address — and stops it afterwards.
# `npm run bench -- discovery`: the gateway's overhead with DISCOVERY=static, =etcd, and etcd with
# two product-service instances, each on a stack of its own started for it (none may be running).
set -euo pipefail
source "$(dirname "$0")/lib/node.sh"
ensure_dependencies
build_all
load_dotenv
gateway="http://127.0.0.1:${GATEWAY_PORT:-3000}"
ready() { node -e "fetch('$gateway/health/ready').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; }

started=""
stop_stack() {
  if [ -n "$started" ]; then
    kill -TERM "$started" 2>/dev/null || true
    wait "$started" 2>/dev/null || true
    started=""
  fi
}
trap stop_stack EXIT

# The stack as production runs it: NODE_ENV=production, JSON logs at the default level written to a
# file (not through pino-pretty), the same heap limits; extra settings in the environment.
start_stack() {
  mkdir -p "$ROOT/.data/logs"
  NODE_ENV=production RATE_LIMIT_PER_MINUTE=100000000 LOG_FORMAT=json KEEP_INFRA=1 bash "$ROOT/scripts/start.sh" >"$ROOT/.data/logs/bench-stack.log" 2>&1 &
  started=$!
  # TERM, not INT: a background job of a script starts with SIGINT ignored.
  for _ in $(seq 1 180); do ready && break; sleep 1; done
  ready || { echo "[bench] the stack did not become ready; see .data/logs/bench-stack.log" >&2; exit 1; }
}

if [ "${1:-}" = "discovery" ]; then
  if ready; then echo "[bench] a stack is running at $gateway: stop it first (each configuration starts its own)" >&2; exit 1; fi
  for configuration in static etcd etcd-2-product-replicas; do
    echo "[bench] configuration: $configuration"
    case "$configuration" in
      static) DISCOVERY=static start_stack ;;
      etcd) DISCOVERY=etcd start_stack ;;
      etcd-2-product-replicas) DISCOVERY=etcd REPLICAS=product-service=2 start_stack ;;
    esac
    # Extra instances start after the first ones are ready; give them their registration.
    sleep 3
    node "$ROOT/bench/dist/src/discovery.js" "$configuration"
    stop_stack
  done
  node "$ROOT/bench/dist/src/discovery.js" --report
  exit 0
fi

if ! ready; then
  echo "[bench] no stack at $gateway: starting one"
  start_stack
fi
node "$ROOT/bench/dist/src/run.js"

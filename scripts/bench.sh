#!/usr/bin/env bash
# `npm run bench`: measures the local stack. Uses a stack that is already running (npm start);
# otherwise starts one for the run — with the gateway's rate limit lifted and quiet logs, since the
# load comes from one address — and stops it afterwards.
set -euo pipefail
source "$(dirname "$0")/lib/node.sh"
ensure_dependencies
build_all
load_dotenv
gateway="http://127.0.0.1:${GATEWAY_PORT:-3000}"
ready() { node -e "fetch('$gateway/health/ready').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; }

started=""
if ! ready; then
  echo "[bench] no stack at $gateway: starting one"
  mkdir -p "$ROOT/.data/logs"
  RATE_LIMIT_PER_MINUTE=100000000 LOG_LEVEL=warn KEEP_INFRA=1 bash "$ROOT/scripts/start.sh" >"$ROOT/.data/logs/bench-stack.log" 2>&1 &
  started=$!
  # TERM, not INT: a background job of a script starts with SIGINT ignored.
  trap 'kill -TERM $started 2>/dev/null; wait $started 2>/dev/null || true' EXIT
  for _ in $(seq 1 180); do ready && break; sleep 1; done
  ready || { echo "[bench] the stack did not become ready; see .data/logs/bench-stack.log" >&2; exit 1; }
fi
node "$ROOT/bench/dist/src/run.js"

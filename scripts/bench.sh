#!/usr/bin/env bash
# `npm run bench`: measures the local stack. Uses a stack that is already running (npm start);
# otherwise starts one for the run — as production runs, with the gateway's rate limit lifted since
# the load comes from one address — and stops it afterwards.
# `npm run bench -- discovery`: the gateway's overhead with DISCOVERY=static, =etcd, and etcd with
# two product-service instances, each on a stack of its own started for it (none may be running).
# `npm run bench -- compare <revision>`, `-- tracing`, `-- tracing-pair`, `-- tracing-saga` and `-- profile`: see below.
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
# SERVICES_ROOT (compare mode) runs another checkout's services with this one's scripts and infrastructure.
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

# One measured run of a side of a comparison, kept under its label for the report.
measure_side() {
  local label="$1"
  node "$ROOT/bench/dist/src/run.js"
  cp "$ROOT/bench/results/latest.json" "$scratch/$(printf '%02d' "$run_number")-$label.json"
  run_number=$((run_number + 1))
}

# `compare <git revision>`: the revision's services (checked out once under .data/bench-base and
# built; started by this checkout's scripts, on its infrastructure) and this working tree, interleaved for BENCH_ROUNDS rounds (default 2):
# same machine, same minutes, so a change shows beside what it changed.
if [ "${1:-}" = "compare" ]; then
  if ready; then echo "[bench] a stack is running at $gateway: stop it first (each side starts its own)" >&2; exit 1; fi
  scratch="$(mktemp -d)"
  run_number=0
  rounds="${BENCH_ROUNDS:-2}"
  bash "$ROOT/scripts/infra.sh" up
  revision="${2:?usage: npm run bench -- compare <git revision>}"
  base="$ROOT/.data/bench-base"
  [ -d "$base" ] || git -C "$ROOT" worktree add --detach "$base" "$revision"
  git -C "$base" checkout --quiet --detach "$revision"
  if [ ! "$base/node_modules/.package-lock.json" -nt "$base/package-lock.json" ]; then
    (cd "$base" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  (cd "$base" && node_modules/.bin/tsc -b && node_modules/.bin/vite build web --logLevel warn)
  for ((round = 1; round <= rounds; round++)); do
    SERVICES_ROOT="$base" start_stack; SERVICES_ROOT="$base" measure_side "base-$(git -C "$base" rev-parse --short HEAD)"; stop_stack
    start_stack; measure_side "current"; stop_stack
  done
  node "$ROOT/bench/dist/src/compare.js" "$1" "$scratch"
  rm -rf "$scratch"
  exit 0
fi

# `tracing`: this tree with tracing off, at 100 % and at 10 % sampling, each on a stack of its own,
# for BENCH_ROUNDS rounds (default 4), the order rotated every round; bench/src/tracing.ts says
# what is measured and how the rounds are compared.
if [ "${1:-}" = "tracing" ]; then
  if ready; then echo "[bench] a stack is running at $gateway: stop it first (each configuration starts its own)" >&2; exit 1; fi
  scratch="$(mktemp -d)"
  rounds="${BENCH_ROUNDS:-4}"
  bash "$ROOT/scripts/infra.sh" up
  configurations=(off sampled-100 sampled-10)
  for ((round = 1; round <= rounds; round++)); do
    for ((i = 0; i < 3; i++)); do
      configuration="${configurations[$(((i + round - 1) % 3))]}"
      case "$configuration" in
        off) settings=(TRACING=0) ;;
        sampled-100) settings=(TRACING=1 OTEL_TRACES_SAMPLER=parentbased_always_on) ;;
        sampled-10) settings=(TRACING=1 OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1) ;;
      esac
      export "${settings[@]}"
      start_stack
      node "$ROOT/bench/dist/src/tracing.js" measure "$configuration" "$round" "$scratch"
      stop_stack
      unset TRACING OTEL_TRACES_SAMPLER OTEL_TRACES_SAMPLER_ARG
    done
  done
  node "$ROOT/bench/dist/src/tracing.js" report "$scratch"
  rm -rf "$scratch"
  exit 0
fi

# `tracing-pair`: a stack without tracing and, beside it, three more product-service instances —
# untraced, 10 % and 100 % sampled — read in turns under one load (bench/src/tracing-pair.ts):
# what tracing costs a request, without the drift between whole-stack runs.
if [ "${1:-}" = "tracing-pair" ]; then
  if ready; then echo "[bench] a stack is running at $gateway: stop it first (this one runs untraced)" >&2; exit 1; fi
  bash "$ROOT/scripts/infra.sh" up
  eval "$(bash "$ROOT/scripts/infra.sh" env)"
  TRACING=0 start_stack
  extra_pids=()
  stop_extra() { for pid in "${extra_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; wait "${extra_pids[@]}" 2>/dev/null || true; stop_stack; }
  trap stop_extra EXIT
  instances=()
  jaeger="http://127.0.0.1:${JAEGER_OTLP_HTTP_PORT:-4318}"
  launch_product() {
    local label="$1" port="$2"; shift 2
    (cd "$ROOT/product-service" && NODE_ENV=production NODE_OPTIONS="${SERVICE_NODE_OPTIONS:-}" exec env -u OTEL_EXPORTER_OTLP_ENDPOINT PRODUCT_SERVICE_PORT="$port" "$@" \
      node --require @oip/platform/telemetry dist/src/main.js) >>"$ROOT/.data/logs/bench-pair-$label.log" 2>&1 &
    extra_pids+=("$!")
    instances+=("$label=$port=$!")
  }
  launch_product off "${BENCH_PAIR_PORT:-3102}"
  launch_product sampled-10 "$((${BENCH_PAIR_PORT:-3102} + 1))" OTEL_EXPORTER_OTLP_ENDPOINT="$jaeger" OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1
  launch_product sampled-100 "$((${BENCH_PAIR_PORT:-3102} + 2))" OTEL_EXPORTER_OTLP_ENDPOINT="$jaeger" OTEL_TRACES_SAMPLER=parentbased_always_on
  for argument in "${instances[@]}"; do
    port="$(cut -d= -f2 <<<"$argument")"
    for _ in $(seq 1 60); do node -e "fetch('http://127.0.0.1:$port/health/ready').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))" && break; sleep 1; done
  done
  node "$ROOT/bench/dist/src/tracing-pair.js" "${instances[@]}"
  exit 0
fi

# `tracing-saga`: what tracing costs a whole order, sampled or not (bench/src/tracing-saga.ts): an
# untraced stack, a traced one on which the bench decides each order's sampling, an untraced one.
if [ "${1:-}" = "tracing-saga" ]; then
  if ready; then echo "[bench] a stack is running at $gateway: stop it first (each side starts its own)" >&2; exit 1; fi
  scratch="$(mktemp -d)"
  bash "$ROOT/scripts/infra.sh" up
  # Spans leave in batches every OTEL_BSP_SCHEDULE_DELAY: at .env's 5 s, one slice's export would
  # be paid in the next slice (another setting's), so the traced stack exports every 0.5 s here.
  export_delay="${OTEL_BSP_SCHEDULE_DELAY:-}"
  for stack in untraced traced untraced; do
    if [ "$stack" = traced ]; then export TRACING=1 OTEL_TRACES_SAMPLER=parentbased_always_on OTEL_BSP_SCHEDULE_DELAY="${BENCH_SAGA_EXPORT_DELAY_MS:-500}"; else export TRACING=0; fi
    start_stack
    node "$ROOT/bench/dist/src/tracing-saga.js" measure "$stack" "$scratch"
    stop_stack
    unset TRACING OTEL_TRACES_SAMPLER
    export OTEL_BSP_SCHEDULE_DELAY="$export_delay"
  done
  node "$ROOT/bench/dist/src/tracing-saga.js" report "$scratch"
  rm -rf "$scratch"
  exit 0
fi

# `profile`: one stack whose services write CPU profiles, orders at BENCH_TRACING_RATE for
# BENCH_SECONDS, then each service's CPU by package (bench/src/profile.ts). Tracing as the caller's
# environment says (TRACING, OTEL_TRACES_SAMPLER…), as for npm start.
if [ "${1:-}" = "profile" ]; then
  if ready; then echo "[bench] a stack is running at $gateway: stop it first (this one must write profiles)" >&2; exit 1; fi
  profiles="$ROOT/.data/profiles/$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$profiles"
  bash "$ROOT/scripts/infra.sh" up
  SERVICE_NODE_OPTIONS="${SERVICE_NODE_OPTIONS:-} --cpu-prof --cpu-prof-dir=$profiles" start_stack
  node "$ROOT/bench/dist/src/profile.js" load "$profiles"
  stop_stack
  node "$ROOT/bench/dist/src/profile.js" report "$profiles"
  exit 0
fi

if ! ready; then
  echo "[bench] no stack at $gateway: starting one"
  start_stack
fi
node "$ROOT/bench/dist/src/run.js"

# prometheus: scrapes every service instance, found through the gateway's /registry/targets, and
# evaluates the alert rules of deploy/prometheus/ (Debian's package; promtool comes with it).

: "${PROMETHEUS_PORT:=9090}" "${GATEWAY_PORT:=3000}"
PROMETHEUS_DIR="$DATA/prometheus"

prometheus_installed() { command -v prometheus >/dev/null && command -v promtool >/dev/null; }
prometheus_packages() { prometheus_installed || echo prometheus; }
prometheus_install() { prometheus_installed || die "prometheus: prometheus or promtool missing after apt-get install"; }

prometheus_pid() {
  local pid
  pid="$(read_pid "$RUN/prometheus.pid")"
  alive "$pid" "--storage.tsdb.path=$PROMETHEUS_DIR/data" && printf '%s\n' "$pid"
}
prometheus_ports() { echo "$PROMETHEUS_PORT"; }
prometheus_describe() { echo "http://$HOST:$PROMETHEUS_PORT (targets from the gateway on :$GATEWAY_PORT)"; }

# The metrics token the gateway and the services must share with Prometheus: METRICS_TOKEN, or one
# made up once and kept here (scripts/start.sh hands it to the services when METRICS_TOKEN is unset).
prometheus_token() {
  if [[ -n ${METRICS_TOKEN:-} ]]; then
    printf '%s' "$METRICS_TOKEN"
    return
  fi
  mkdir -p "$PROMETHEUS_DIR"
  [[ -s $PROMETHEUS_DIR/generated-token ]] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$PROMETHEUS_DIR/generated-token"
  cat "$PROMETHEUS_DIR/generated-token"
}

# The repository's configuration, pointed at the local gateway, the rules in the repository and a
# token file of its own.
prometheus_render() {
  mkdir -p "$PROMETHEUS_DIR/data"
  (umask 077 && prometheus_token >"$PROMETHEUS_DIR/metrics-token")
  sed -e "s#http://api-gateway:3000#http://$HOST:$GATEWAY_PORT#" \
    -e "s#credentials_file: metrics-token#credentials_file: $PROMETHEUS_DIR/metrics-token#" \
    -e "s#^  - alerts.yml#  - $ROOT/deploy/prometheus/alerts.yml#" \
    "$ROOT/deploy/prometheus/prometheus.yml" >"$PROMETHEUS_DIR/prometheus.yml"
  promtool check config "$PROMETHEUS_DIR/prometheus.yml" >/dev/null || die "prometheus: the rendered $PROMETHEUS_DIR/prometheus.yml is invalid (promtool check config)"
}

prometheus_launch() {
  local pid
  prometheus_installed || die "prometheus: not installed; run: bash scripts/infra.sh install"
  prometheus_render
  pid="$(detach prometheus prometheus --config.file="$PROMETHEUS_DIR/prometheus.yml" \
    --storage.tsdb.path="$PROMETHEUS_DIR/data" --storage.tsdb.retention.time=2d \
    --web.listen-address="$HOST:$PROMETHEUS_PORT" --log.level=warn)"
  printf '%s\n' "$pid" >"$RUN/prometheus.pid"
}

prometheus_ready() { curl -fsS -o /dev/null "http://$HOST:$PROMETHEUS_PORT/-/ready"; }

prometheus_wait() {
  wait_until prometheus "$LOGS/prometheus.log" "$(read_pid "$RUN/prometheus.pid")" "--storage.tsdb.path=$PROMETHEUS_DIR/data" prometheus_ready
}

prometheus_stop() {
  local pid
  pid="$(prometheus_pid)" || return 0
  terminate "$pid" "--storage.tsdb.path=$PROMETHEUS_DIR/data" 10
  rm -f "$RUN/prometheus.pid"
}

prometheus_env() { printf 'export PROMETHEUS_URL=%q\n' "http://$HOST:$PROMETHEUS_PORT"; }

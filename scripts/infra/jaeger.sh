# jaeger: the trace store and UI, as Jaeger v2's all-in-one (in-memory storage): OTLP over HTTP in,
# the UI and its HTTP API (/api/traces/<id>) out. Built once with Go, like FerretDB.

: "${JAEGER_OTLP_HTTP_PORT:=4318}" "${JAEGER_UI_PORT:=16686}" "${JAEGER_VERSION:=v1.76.0}"
# The query service's gRPC API is not used here but cannot be switched off: the port below the UI's.
JAEGER_QUERY_GRPC_PORT=$((JAEGER_UI_PORT - 1))
JAEGER_BIN="$DATA/bin/jaeger"
JAEGER_DIR="$DATA/jaeger"

jaeger_packages() { :; }
jaeger_installed() { jaeger_ok; }
jaeger_install() { jaeger_ok || install_jaeger; }

jaeger_ok() {
  [[ -x $JAEGER_BIN && -f $JAEGER_BIN.version ]] && [[ $(<"$JAEGER_BIN.version") == "$JAEGER_VERSION" ]]
}

# A scratch module that depends on Jaeger as a Go tool: `go build` of the command then resolves
# the exact dependency versions Jaeger's own go.mod pins. About 4 minutes cold on 2 cores.
install_jaeger() {
  local build="$DATA/build/jaeger"
  command -v go >/dev/null || die "Jaeger must be built with Go (>= 1.24); install Go and retry"
  log "jaeger: building Jaeger $JAEGER_VERSION (about 4 minutes the first time)"
  rm -rf "$build"
  mkdir -p "$build" "$DATA/bin"
  # Go lists every one of the ~400 modules it adds: that goes to the build log, not the terminal.
  (cd "$build" && go mod init jaeger-build &&
    go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_VERSION" &&
    CGO_ENABLED=0 go build -trimpath -o "$JAEGER_BIN.tmp" github.com/jaegertracing/jaeger/cmd/jaeger) >"$LOGS/jaeger-build.log" 2>&1 9>&- ||
    fail_with_log jaeger "$LOGS/jaeger-build.log" "go build of Jaeger $JAEGER_VERSION failed"
  mv -f "$JAEGER_BIN.tmp" "$JAEGER_BIN"
  printf '%s\n' "$JAEGER_VERSION" >"$JAEGER_BIN.version"
  rm -rf "$build"
  log "jaeger: Jaeger $JAEGER_VERSION installed at ${JAEGER_BIN#"$ROOT"/}"
}

jaeger_pid() {
  local pid
  pid="$(read_pid "$RUN/jaeger.pid")"
  alive "$pid" "$JAEGER_DIR/config.yaml" && printf '%s\n' "$pid"
}
jaeger_ports() { echo "$JAEGER_OTLP_HTTP_PORT $JAEGER_UI_PORT $JAEGER_QUERY_GRPC_PORT"; }
jaeger_describe() { echo "UI http://$HOST:$JAEGER_UI_PORT, OTLP http://$HOST:$JAEGER_OTLP_HTTP_PORT"; }

# The all-in-one's default configuration binds a dozen fixed ports (other receivers, health,
# zpages, its own metrics); this one keeps only what the platform uses, on shiftable ports.
jaeger_config() {
  cat <<YAML
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: $HOST:$JAEGER_UI_PORT
    grpc:
      endpoint: $HOST:$JAEGER_QUERY_GRPC_PORT
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 20000
receivers:
  otlp:
    protocols:
      http:
        endpoint: $HOST:$JAEGER_OTLP_HTTP_PORT
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
YAML
}

jaeger_launch() {
  local pid
  jaeger_ok || die "jaeger: not built; run: bash scripts/infra.sh install"
  mkdir -p "$JAEGER_DIR"
  jaeger_config >"$JAEGER_DIR/config.yaml"
  pid="$(detach jaeger "$JAEGER_BIN" --config "$JAEGER_DIR/config.yaml")"
  printf '%s\n' "$pid" >"$RUN/jaeger.pid"
}

jaeger_ready() { curl -fsS -o /dev/null "http://$HOST:$JAEGER_UI_PORT/api/services" && port_open "$JAEGER_OTLP_HTTP_PORT"; }

jaeger_wait() {
  wait_until jaeger "$LOGS/jaeger.log" "$(read_pid "$RUN/jaeger.pid")" "$JAEGER_DIR/config.yaml" jaeger_ready
}

jaeger_stop() {
  local pid
  pid="$(jaeger_pid)" || return 0
  terminate "$pid" "$JAEGER_DIR/config.yaml" 10
  rm -f "$RUN/jaeger.pid"
}

jaeger_env() {
  printf 'export JAEGER_URL=%q\nexport OTEL_EXPORTER_OTLP_ENDPOINT=%q\n' "http://$HOST:$JAEGER_UI_PORT" "http://$HOST:$JAEGER_OTLP_HTTP_PORT"
}

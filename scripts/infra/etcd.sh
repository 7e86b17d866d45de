# etcd: the service registry. Every service instance keeps a leased key under /services/ here.

: "${ETCD_PORT:=2379}" "${ETCD_PEER_PORT:=2380}"
ETCD_DIR="$DATA/etcd"

# etcdctl answers the health check; Debian ships it apart from the server.
etcd_installed() { command -v etcd >/dev/null && command -v etcdctl >/dev/null; }
etcd_packages() {
  command -v etcd >/dev/null || echo etcd-server
  command -v etcdctl >/dev/null || echo etcd-client
}
etcd_install() { etcd_installed || die "etcd: etcd or etcdctl missing after apt-get install"; }

etcd_pid() {
  local pid
  pid="$(read_pid "$RUN/etcd.pid")"
  alive "$pid" "--data-dir=$ETCD_DIR" && printf '%s\n' "$pid"
}
etcd_ports() { echo "$ETCD_PORT $ETCD_PEER_PORT"; }
etcd_describe() { echo "http://$HOST:$ETCD_PORT (peer $ETCD_PEER_PORT)"; }

etcd_launch() {
  local pid unset_env=() name
  etcd_installed || die "etcd: not installed; run: bash scripts/infra.sh install"
  mkdir -p "$ETCD_DIR"
  chmod 0700 "$ETCD_DIR"
  # etcd reads every ETCD_* variable as a flag and refuses one that repeats a command-line flag;
  # ours (ETCD_PORT, ETCD_HOSTS, ...) are not meant for it.
  for name in $(compgen -e | grep '^ETCD_' || true); do unset_env+=(-u "$name"); done
  # A single member on loopback; the peer URL is only its own cluster's.
  pid="$(detach etcd env "${unset_env[@]}" etcd --name=infra --data-dir="$ETCD_DIR" \
    --listen-client-urls="http://$HOST:$ETCD_PORT" --advertise-client-urls="http://$HOST:$ETCD_PORT" \
    --listen-peer-urls="http://$HOST:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://$HOST:$ETCD_PEER_PORT" \
    --initial-cluster="infra=http://$HOST:$ETCD_PEER_PORT" --initial-cluster-state=new \
    --log-level=warn --logger=zap)"
  printf '%s\n' "$pid" >"$RUN/etcd.pid"
}

etcd_ready() { ETCDCTL_API=3 etcdctl --endpoints="http://$HOST:$ETCD_PORT" --command-timeout=2s endpoint health; }

etcd_wait() {
  wait_until etcd "$LOGS/etcd.log" "$(read_pid "$RUN/etcd.pid")" "--data-dir=$ETCD_DIR" etcd_ready
}

etcd_stop() {
  local pid
  pid="$(etcd_pid)" || return 0
  terminate "$pid" "--data-dir=$ETCD_DIR" 10
  rm -f "$RUN/etcd.pid"
}

etcd_env() { printf 'export ETCD_PORT=%s\nexport ETCD_HOSTS=%q\n' "$ETCD_PORT" "http://$HOST:$ETCD_PORT"; }

#!/usr/bin/env bash
# The two tools the chart test (tests/test/helm-chart.test.ts) renders and validates the Helm chart
# with, installed once, pinned, under the git-ignored .data/ and only from the package registries:
#   helm                 built from helm.sh/helm/v3 through the Go module proxy (a scratch module with
#                        `go get -tool`, then `go build`; about 80 s cold), cached at .data/bin/helm
#   kubernetes-validate  from PyPI into a virtualenv; it carries the Kubernetes JSON schemas, so
#                        validating downloads nothing
#
#   bash scripts/k8s-tools.sh install                  install both if missing; print helm's path
#   bash scripts/k8s-tools.sh helm <args...>           install if missing, then run helm
#   bash scripts/k8s-tools.sh kubernetes-validate ...  install if missing, then run kubernetes-validate
#   bash scripts/k8s-tools.sh kubernetes-versions      the Kubernetes versions it has schemas for
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="$ROOT/.data"
HELM_VERSION=v3.22.0
HELM_BIN="$DATA/bin/helm"
KV_VERSION=1.37.0
KV_VENV="$DATA/k8s-validate-venv"
KV_BIN="$KV_VENV/bin/kubernetes-validate"

log() { echo "[k8s-tools] $*" >&2; }
die() { log "$*"; exit 1; }

helm_ok() { [[ -x $HELM_BIN ]] && [[ "$("$HELM_BIN" version --template '{{.Version}}' 2>/dev/null)" == "$HELM_VERSION" ]]; }
# The Kubernetes versions the installed kubernetes-validate carries schemas for, oldest first.
kv_versions() { "$KV_VENV/bin/python" -c 'from kubernetes_validate.utils import all_versions; print("\n".join(dict.fromkeys(all_versions())))'; }
kv_ok() { [[ -x $KV_BIN ]] && [[ "$("$KV_BIN" --version 2>/dev/null)" == *"$KV_VERSION"* ]]; }

install_helm() {
  helm_ok && return 0
  command -v go >/dev/null || die "helm is built with Go (>= 1.24); install Go and retry"
  local build="$DATA/build/helm"
  log "building helm $HELM_VERSION from the Go module proxy (about 80 s the first time)"
  # The proxy only: without its `direct` fallback go would clone a module missing there from its host.
  GOPROXY="$(go env GOPROXY)"
  export GOPROXY="${GOPROXY%[,|]direct}"
  rm -rf "$build"
  mkdir -p "$build" "$DATA/bin"
  # Stamped the way upstream's Makefile does: `helm version` reports the pin, and `helm template`
  # assumes the Kubernetes version of its own client-go (unstamped it assumes 1.20).
  (cd "$build" && go mod init helm-build >/dev/null 2>&1 &&
    go get -tool "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2 &&
    k8s="$(go list -m -f '{{.Version}}' k8s.io/client-go)" && k8s="${k8s#v0.}" && k8s="${k8s%%.*}" &&
    CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
      -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$k8s \
      -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$k8s" \
      -o "$HELM_BIN.tmp" helm.sh/helm/v3/cmd/helm) 9>&- || die "go build of helm $HELM_VERSION failed"
  mv -f "$HELM_BIN.tmp" "$HELM_BIN"
  rm -rf "$build"
  helm_ok || die "built $HELM_BIN but 'helm version' does not report $HELM_VERSION"
  log "helm $HELM_VERSION installed at ${HELM_BIN#"$ROOT"/}"
}

install_kv() {
  kv_ok && return 0
  command -v python3 >/dev/null || die "python3 (>= 3.9) is required for kubernetes-validate"
  log "installing kubernetes-validate $KV_VERSION into ${KV_VENV#"$ROOT"/}"
  rm -rf "$KV_VENV"
  python3 -m venv "$KV_VENV"
  "$KV_VENV/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$KV_VERSION" >&2
  kv_ok || die "kubernetes-validate $KV_VERSION install failed"
}

install() {
  helm_ok && kv_ok && return 0
  mkdir -p "$DATA"
  # One installer at a time: parallel test runs would otherwise build the same tools twice.
  exec 9>"$DATA/k8s-tools.lock"
  flock 9
  install_helm
  install_kv
}

case "${1:-}" in
  install) install; echo "$HELM_BIN" ;;
  helm) shift; install; exec "$HELM_BIN" "$@" ;;
  kubernetes-validate) shift; install; exec "$KV_BIN" "$@" ;;
  kubernetes-versions) install; kv_versions ;;
  *) die "usage: $0 install | helm <args...> | kubernetes-validate <args...> | kubernetes-versions" ;;
esac

#!/usr/bin/env bash
# Schemathesis (PyPI), the API fuzzer the test suite points at every service's OpenAPI document
# (order-service/test/api-fuzz.test.ts). Installed once, pinned, into a virtualenv under the
# git-ignored .data/, with python3's own venv and pip; nothing outside the repository is touched.
#
#   bash scripts/schemathesis.sh install    install the pinned version if missing; print the executable
#   bash scripts/schemathesis.sh <args...>  install if missing, then run `schemathesis <args...>`
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION=4.32.5
VENV="$ROOT/.data/schemathesis-venv"
BIN="$VENV/bin/schemathesis"

installed() { [[ -x $BIN ]] && [[ "$("$BIN" --version 2>/dev/null)" == *"version $VERSION"* ]]; }

install() {
  installed && return 0
  mkdir -p "$ROOT/.data"
  # One installer at a time: parallel test runs would otherwise build the same venv twice.
  exec 9>"$ROOT/.data/schemathesis.lock"
  flock 9
  installed && return 0
  command -v python3 >/dev/null || { echo "[schemathesis] python3 (>= 3.10) is required" >&2; exit 1; }
  echo "[schemathesis] installing schemathesis $VERSION into $VENV" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION" >&2
  installed || { echo "[schemathesis] install failed" >&2; exit 1; }
}

if [[ ${1:-} == install ]]; then
  install
  echo "$BIN"
  exit 0
fi
install
exec "$BIN" "$@"

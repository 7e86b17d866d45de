#!/usr/bin/env bash
# Debian's chromium for the browser tests (web/test/*.test.ts drive it with playwright-core). Not a
# server, so not an infra.sh component: run by scripts/test.sh when the run includes the web tests,
# and by hand with `bash scripts/infra/chromium.sh`. Idempotent: does nothing when it is installed.
# CHROMIUM_PATH names another binary (the tests read the same variable).
set -euo pipefail
CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ -x $CHROMIUM_PATH ]]; then exit 0; fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
  echo "[chromium] $CHROMIUM_PATH not found and apt-get is not usable here: install Debian's chromium (apt-get install chromium)" >&2
  exit 1
fi
echo "[chromium] installing Debian's chromium (browser tests)"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null 2>&1 ||
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; }
[[ -x $CHROMIUM_PATH ]] || { echo "[chromium] installed, but $CHROMIUM_PATH is missing" >&2; exit 1; }

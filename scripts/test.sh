#!/usr/bin/env bash
# `npm test`: installs what is missing, builds, lints, brings up the real infrastructure (or uses
# the URLs in the environment, or Testcontainers) and runs every test. Extra arguments are test
# files, e.g. `npm test -- product-service/dist/test/service-shell.test.js`.
set -euo pipefail
source "$(dirname "$0")/lib/node.sh"
ensure_dependencies
build_all

# tests/compose.test.ts validates docker-compose.yml with Debian's Compose v1 CLI, which needs no
# Docker engine. A test tool, not infrastructure: installed here, only for a run that includes it.
ensure_compose_cli() {
  command -v docker-compose >/dev/null && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then return 0; fi # the test names the fix
  echo "[test] installing docker-compose (validates docker-compose.yml)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null 2>&1 ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose; }
}
if [ "$#" -eq 0 ] || [[ "$*" == *compose* ]]; then ensure_compose_cli; fi
# The browser tests (web/test) drive Debian's chromium.
if [ "$#" -eq 0 ] || [[ "$*" == *web/* ]]; then bash "$ROOT/scripts/infra/chromium.sh"; fi
if [ "$#" -eq 0 ]; then
  echo "[test] lint (eslint at zero warnings, then the dependency rules)"
  (cd "$ROOT" && npm run --silent lint)
fi
exec node "$ROOT/packages/testkit/dist/src/run-tests.js" "$@"

#!/usr/bin/env bash
# `npm test`: installs what is missing, builds, lints, brings up the real infrastructure (or uses
# the URLs in the environment, or Testcontainers) and runs every test. Extra arguments are test
# files, e.g. `npm test -- product-service/dist/test/service-shell.test.js`.
set -euo pipefail
source "$(dirname "$0")/lib/node.sh"
ensure_dependencies
build_all
if [ "$#" -eq 0 ]; then
  echo "[test] lint (eslint at zero warnings, then the dependency rules)"
  (cd "$ROOT" && npm run --silent lint)
fi
exec node "$ROOT/packages/testkit/dist/src/run-tests.js" "$@"

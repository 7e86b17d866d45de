# Sourced by the project's scripts. Makes sure dependencies are installed (which brings Node 24 from
# the npm registry, as the root devDependency "node") and puts that Node first on PATH.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="$ROOT/node_modules/.bin:$PATH"

ensure_dependencies() {
  local marker="$ROOT/node_modules/.package-lock.json"
  if [ ! -f "$marker" ] || [ "$ROOT/package-lock.json" -nt "$marker" ]; then
    echo "[setup] installing dependencies (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund)
  fi
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$major" -lt 24 ]; then
    echo "[setup] Node $major found on PATH, Node 24 is required: run 'npm ci' in $ROOT" >&2
    exit 1
  fi
}

build_all() {
  echo "[setup] building (tsc -b, then the web app with vite)"
  (cd "$ROOT" && tsc -b && vite build web --logLevel warn)
}

# shellcheck source=dotenv.sh
source "$ROOT/scripts/lib/dotenv.sh"

# Exports the variables of .env without overriding what is already set; without a .env, the
# documented defaults of .env.example (which include the first admin's credentials).
load_dotenv() {
  if [ -f "$ROOT/.env" ]; then
    dotenv_export "$ROOT/.env"
  else
    echo "[setup] no .env: using the defaults in .env.example"
    dotenv_export "$ROOT/.env.example"
  fi
}

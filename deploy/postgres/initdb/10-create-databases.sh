#!/bin/sh
# Runs once, when the postgres container initialises an empty data volume. POSTGRES_DB already
# created user-service's database; order-service owns a second one in the same server.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=db="${ORDER_DB_NAME:-orders}" <<'SQL'
SELECT format('CREATE DATABASE %I', :'db') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')\gexec
SQL

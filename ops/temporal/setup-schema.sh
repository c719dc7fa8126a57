#!/bin/sh
# Creates Temporal's two PostgreSQL databases (if missing) and migrates their schemas to the
# version the server needs. Idempotent: a second run finds the databases and applies nothing.
# Run by docker-compose.yml (temporalio/admin-tools image) and by `npm run test:production-shape`
# (temporal-sql-tool built from the Go module proxy), with the same variables as the server:
#   POSTGRES_SEEDS, DB_PORT, POSTGRES_USER, POSTGRES_PWD; TEMPORAL_SCHEMA_DIR (the schema/ folder).
set -eu
: "${POSTGRES_SEEDS:?set POSTGRES_SEEDS to the PostgreSQL host}"
: "${POSTGRES_USER:?set POSTGRES_USER}"
schema_dir="${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema}/postgresql/v12"
export SQL_PASSWORD="${POSTGRES_PWD:-}"

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" -u "$POSTGRES_USER" "$@"
}

for pair in "${DBNAME:-temporal}:temporal" "${VISIBILITY_DBNAME:-temporal_visibility}:visibility"; do
  db="${pair%%:*}"
  kind="${pair#*:}"
  # `create` fails on an existing database; `setup-schema -v 0.0` only creates the version table
  # where it is missing, and `update-schema` applies the versions not yet applied.
  sql_tool --db "$db" create 2>/dev/null && echo "created database $db" || echo "database $db exists"
  sql_tool --db "$db" setup-schema -v 0.0
  sql_tool --db "$db" update-schema -d "$schema_dir/$kind/versioned"
done
echo 'Temporal schemas are up to date'

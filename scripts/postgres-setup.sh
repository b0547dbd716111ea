#!/usr/bin/env bash
# Starts the local PostgreSQL (Debian's cluster), enables logical decoding for Debezium and creates
# the role and database the tests use. Idempotent; run as root. Called by .ci/run; run it by hand
# on a developer machine to enable the PostgreSQL tests (they skip without it, and fail under CI=true).
#
#   PG_VERSION   cluster version (default: the newest installed)
#   PG_PORT      port to check (default 5432)
#   PG_USER / PG_PASSWORD / PG_DATABASE   what the tests connect as (default strongroom / strongroom / strongroom)
set -euo pipefail

PG_VERSION="${PG_VERSION:-$(ls /usr/lib/postgresql | sort -n | tail -1)}"
PG_PORT="${PG_PORT:-5432}"
PG_USER="${PG_USER:-strongroom}"
PG_PASSWORD="${PG_PASSWORD:-strongroom}"
PG_DATABASE="${PG_DATABASE:-strongroom}"

if [ -z "$PG_VERSION" ] || [ ! -x "/usr/lib/postgresql/$PG_VERSION/bin/postgres" ]; then
    echo "postgres-setup: PostgreSQL is not installed (apt-get install postgresql)" >&2
    exit 1
fi
if ! pg_lsclusters -h | awk -v v="$PG_VERSION" '$1 == v && $2 == "main"' | grep -q .; then
    pg_createcluster "$PG_VERSION" main >/dev/null
fi

as_postgres() { runuser -u postgres -- "$@"; }
psql_admin() { as_postgres psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -qtAX "$@"; }

start() {
    if ! pg_lsclusters -h | awk -v v="$PG_VERSION" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
        pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main start
    fi
}

start
if [ "$(psql_admin -c 'SHOW wal_level')" != "logical" ]; then
    echo "postgres-setup: enabling wal_level=logical (restart)"
    psql_admin -c "ALTER SYSTEM SET wal_level = logical"
    psql_admin -c "ALTER SYSTEM SET max_replication_slots = 20"
    psql_admin -c "ALTER SYSTEM SET max_wal_senders = 20"
    pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main restart
fi

# A role that can stream logical changes and create the scratch databases restore tests use.
psql_admin <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE "$PG_USER" LOGIN REPLICATION CREATEDB PASSWORD '$PG_PASSWORD';
  ELSE
    ALTER ROLE "$PG_USER" LOGIN REPLICATION CREATEDB PASSWORD '$PG_PASSWORD';
  END IF;
END
\$\$;
SQL
if [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'")" ]; then
    psql_admin -c "CREATE DATABASE \"$PG_DATABASE\" OWNER \"$PG_USER\""
fi

PGPASSWORD="$PG_PASSWORD" psql -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$PG_DATABASE" -qtAX -c 'SELECT 1' >/dev/null
echo "postgres-setup: PostgreSQL $PG_VERSION ready on 127.0.0.1:$PG_PORT (wal_level=logical, user $PG_USER, database $PG_DATABASE)"

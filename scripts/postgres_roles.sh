#!/usr/bin/env bash
# The roles of BuyOrders on one PostgreSQL server (README, "Least privilege"), made or brought up to
# date by a superuser before `migrate apply`, and again whenever a password changes:
#   scripts/postgres_roles.sh
# Connects with libpq's variables (PGHOST, PGPORT, PGUSER, PGPASSWORD), and acts on those of the
# databases write_model and read_model that the server holds:
# - the owner `buyorders` (BUYORDERS_DB_PASSWORD; migrate and buyorders-admin) owns them and
#   everything in them;
# - the NOLOGIN group roles the migrations grant to, made here so that the owner needs no
#   CREATEROLE: buyorders_order_writer and buyorders_write_model_reader (write_model),
#   buyorders_read_model_reader and buyorders_read_model_writer (read_model);
# - a login role per service, a member of its groups: create_buy_order (write_model;
#   CREATE_BUY_ORDER_DB_PASSWORD), fetch_buy_orders (read_model; FETCH_BUY_ORDERS_DB_PASSWORD),
#   read_model_sync (both; READ_MODEL_SYNC_DB_PASSWORD).
# Standalone (scripts/postgres.sh roles runs it, and docker-compose in the postgres image). Passwords
# travel in the environment and in statements the server does not log, never on a command line.
set -euo pipefail

OWNER=buyorders

die() {
  echo "postgres_roles.sh: error: $*" >&2
  exit 1
}

# require VARIABLE... — die unless each is set (the passwords).
require() {
  local variable
  for variable in "$@"; do
    [[ -n ${!variable:-} ]] || die "$variable is not set"
  done
}

psql_run() {
  psql -X -q -v ON_ERROR_STOP=1 "$@"
}

# has_database NAME — true when the server holds database NAME.
has_database() {
  [[ $(psql_run -d postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '$1'") == 1 ]]
}

# role_sql ROLE ATTRIBUTES [PASSWORD_VARIABLE [GROUP...]] — SQL that makes ROLE if missing, sets its
# attributes and password (from the environment variable), and adds it to each GROUP.
role_sql() {
  local role=$1 attributes=$2 password=${3:-} group
  echo "SELECT format('CREATE ROLE %I', '$role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') \\gexec"
  echo "ALTER ROLE $role $attributes;"
  if [[ -n $password ]]; then
    echo "\\getenv password $password"
    echo "ALTER ROLE $role PASSWORD :'password';"
    echo "\\unset password"
  fi
  for group in "${@:4}"; do
    echo "GRANT $group TO $role;"
  done
}

# adopt_sql DATABASE — SQL that gives the owner the database and everything in its schema public
# (also what an earlier run.sh made as postgres).
adopt_sql() {
  cat <<SQL
ALTER DATABASE $1 OWNER TO $OWNER;
\\connect $1
SET client_min_messages = warning;
SELECT format('ALTER TABLE public.%I OWNER TO $OWNER', tablename) FROM pg_tables
  WHERE schemaname = 'public' AND tableowner <> '$OWNER' \\gexec
SELECT format('ALTER FUNCTION %s OWNER TO $OWNER', p.oid::regprocedure) FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = 'public' AND p.proowner <> '$OWNER'::regrole \\gexec
\\connect postgres
SQL
}

main() {
  local write=0 read=0 login="LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT"
  local -a sync_groups=()
  command -v psql >/dev/null || die "psql not found"
  ! has_database write_model || write=1
  ! has_database read_model || read=1
  ((write || read)) || die "the server holds neither write_model nor read_model"
  require BUYORDERS_DB_PASSWORD READ_MODEL_SYNC_DB_PASSWORD
  ((write == 0)) || require CREATE_BUY_ORDER_DB_PASSWORD
  ((read == 0)) || require FETCH_BUY_ORDERS_DB_PASSWORD
  {
    # Never write these statements, with their passwords, to the server's log.
    echo "SET log_statement = 'none';"
    echo "SET log_min_error_statement = 'panic';"
    echo "SET log_min_duration_statement = -1;"
    echo "SET client_min_messages = warning;"
    role_sql "$OWNER" "$login" BUYORDERS_DB_PASSWORD
    if ((write)); then
      role_sql buyorders_order_writer NOLOGIN
      role_sql buyorders_write_model_reader NOLOGIN
      role_sql create_buy_order "$login" CREATE_BUY_ORDER_DB_PASSWORD buyorders_order_writer
      sync_groups+=(buyorders_write_model_reader)
    fi
    if ((read)); then
      role_sql buyorders_read_model_reader NOLOGIN
      role_sql buyorders_read_model_writer NOLOGIN
      role_sql fetch_buy_orders "$login" FETCH_BUY_ORDERS_DB_PASSWORD buyorders_read_model_reader
      sync_groups+=(buyorders_read_model_writer)
    fi
    role_sql read_model_sync "$login" READ_MODEL_SYNC_DB_PASSWORD "${sync_groups[@]}"
    ((write == 0)) || adopt_sql write_model
    ((read == 0)) || adopt_sql read_model
  } | psql_run -d postgres -f - || die "psql failed"
}

main "$@"

#!/usr/bin/env bash
# Private PostgreSQL instance with all state under DIR.
#   scripts/postgres.sh start DIR PORT | stop DIR | restart DIR | status DIR
#   scripts/postgres.sh start DIR         (again, with the remembered port)
#   scripts/postgres.sh roles DIR SECRETS (the roles of BuyOrders: scripts/postgres_roles.sh, with
#                                          the passwords kept in SECRETS/postgres-<role>, made once)
# DIR/data is the cluster, DIR/postgres.log its log, DIR/port its port.
# PG_AUTH (remembered in DIR/auth; default trust) is how TCP connections on 127.0.0.1 log in:
# trust (the tests), or scram-sha-256 (run.sh: a password for every role). Either way the superuser
# postgres comes in without one through the socket in DIR, which only root and postgres can reach.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DATABASES=(write_model read_model)
PG_TIMEOUT=${PG_TIMEOUT:-60}
# The login roles of scripts/postgres_roles.sh, with the variables that carry their passwords.
declare -A ROLE_PASSWORDS=(
  [buyorders]=BUYORDERS_DB_PASSWORD [create_buy_order]=CREATE_BUY_ORDER_DB_PASSWORD
  [fetch_buy_orders]=FETCH_BUY_ORDERS_DB_PASSWORD [read_model_sync]=READ_MODEL_SYNC_DB_PASSWORD
)

usage() {
  echo "usage: $0 start DIR [PORT] | stop DIR | restart DIR | status DIR | roles DIR SECRETS" >&2
  exit 2
}

# pg_bin — directory of the PostgreSQL server binaries (15, else newest).
pg_bin() {
  if [[ -n ${PG_BIN:-} ]]; then
    echo "$PG_BIN"
  elif [[ -x /usr/lib/postgresql/15/bin/pg_ctl ]]; then
    echo /usr/lib/postgresql/15/bin
  else
    local newest
    newest=$(find /usr/lib/postgresql -path '*/bin/pg_ctl' 2>/dev/null | sort -V | tail -n 1)
    [[ -n $newest ]] || die "PostgreSQL server binaries not found (install postgresql)"
    dirname "$newest"
  fi
}

# as_postgres CMD ARGS... — run a server binary as user postgres from DIR
# (postgres may not be able to read the caller's working directory).
as_postgres() {
  local cmd=$1
  shift
  (cd "$DIR" && runuser -u postgres -- "$(pg_bin)/$cmd" "$@")
}

is_running() {
  [[ -f $DIR/data/PG_VERSION ]] && as_postgres pg_ctl status -D "$DIR/data" >/dev/null 2>&1
}

stored_port() {
  [[ -f $DIR/port ]] || die "$DIR/port missing: run '$0 start $DIR PORT' first"
  cat "$DIR/port"
}

show_log() {
  log "tail of $DIR/postgres.log:"
  tail -n 30 "$DIR/postgres.log" >&2 2>/dev/null || true
}

# prepare_dir — DIR owned by postgres, mode 700, reachable by postgres.
prepare_dir() {
  chown postgres: "$DIR"
  chmod 700 "$DIR"
  runuser -u postgres -- test -w "$DIR" ||
    die "user postgres cannot reach $DIR (a parent directory is not traversable)"
}

# init_cluster — initdb with user postgres (pg_hba.conf: write_hba).
init_cluster() {
  log "initdb $DIR/data"
  as_postgres initdb -D "$DIR/data" -U postgres -A trust -E UTF8 --no-locale \
    >"$DIR/initdb.log" 2>&1 || {
    tail -n 30 "$DIR/initdb.log" >&2
    die "initdb failed"
  }
  echo "include = 'buyorders.conf'" >>"$DIR/data/postgresql.conf"
}

# auth_method — PG_AUTH, else the one remembered in DIR/auth, else trust.
auth_method() {
  local method=${PG_AUTH:-}
  [[ -n $method ]] || method=$(cat "$DIR/auth" 2>/dev/null) || true
  method=${method:-trust}
  [[ $method == trust || $method == scram-sha-256 ]] ||
    die "PG_AUTH must be trust or scram-sha-256, got '$method'"
  echo "$method"
}

# write_hba METHOD — pg_hba.conf: TCP on 127.0.0.1 with METHOD; the socket in DIR (mode 700) for
# the superuser postgres (and, with trust, for every role).
write_hba() {
  if [[ $1 == trust ]]; then
    cat >"$DIR/data/pg_hba.conf" <<'EOF'
# Written by scripts/postgres.sh on every start (PG_AUTH=trust).
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  trust
local   replication all               trust
host    replication all 127.0.0.1/32  trust
EOF
  else
    cat >"$DIR/data/pg_hba.conf" <<EOF
# Written by scripts/postgres.sh on every start (PG_AUTH=$1).
# The socket lives in $DIR (mode 700): only root and postgres reach it.
# TYPE  DATABASE  USER      ADDRESS       METHOD
local   all       postgres                trust
host    all       all       127.0.0.1/32  $1
EOF
  fi
  chown postgres: "$DIR/data/pg_hba.conf"
  echo "$1" >"$DIR/auth"
}

# write_config PORT — settings for a test/dev box (fsync stays on).
write_config() {
  cat >"$DIR/data/buyorders.conf" <<EOF
# Written by scripts/postgres.sh on every start.
listen_addresses = '127.0.0.1'
port = $1
unix_socket_directories = '$DIR'
max_connections = 200
shared_buffers = 256MB
password_encryption = scram-sha-256
fsync = on
synchronous_commit = on
EOF
  chown postgres: "$DIR/data/buyorders.conf"
}

# psql_admin SQL — run SQL against the postgres database, as postgres through the socket.
psql_admin() {
  "$(pg_bin)/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$(stored_port)" \
    -U postgres -d postgres -tA -c "$1"
}

create_databases() {
  local db
  for db in "${DATABASES[@]}"; do
    if [[ -z $(psql_admin "SELECT 1 FROM pg_database WHERE datname = '$db'") ]]; then
      psql_admin "CREATE DATABASE $db" || die "cannot create database $db"
    fi
  done
}

cmd_start() {
  local port=${1:-}
  [[ -n $port ]] || port=$(stored_port)
  [[ $port =~ ^[0-9]+$ ]] || usage
  if is_running; then
    log "postgres already running in $DIR (port $(stored_port))"
    create_databases
    return 0
  fi
  prepare_dir
  [[ -f $DIR/data/PG_VERSION ]] || init_cluster
  write_config "$port"
  write_hba "$(auth_method)"
  echo "$port" >"$DIR/port"
  if ! as_postgres pg_ctl start -D "$DIR/data" -w -t "$PG_TIMEOUT" \
    -l "$DIR/postgres.log" >/dev/null; then
    show_log
    die "postgres failed to start in $DIR"
  fi
  create_databases
  log "postgres running in $DIR on 127.0.0.1:$port"
}

cmd_stop() {
  if is_running; then
    as_postgres pg_ctl stop -D "$DIR/data" -m fast -w -t "$PG_TIMEOUT" >/dev/null
    log "postgres stopped in $DIR"
  fi
}

cmd_restart() {
  [[ -f $DIR/data/PG_VERSION ]] || die "no cluster in $DIR: run '$0 start $DIR PORT' first"
  if ! as_postgres pg_ctl restart -D "$DIR/data" -m fast -w -t "$PG_TIMEOUT" \
    -l "$DIR/postgres.log" >/dev/null; then
    show_log
    die "postgres failed to restart in $DIR"
  fi
  log "postgres restarted in $DIR on 127.0.0.1:$(stored_port)"
}

# cmd_roles SECRETS — scripts/postgres_roles.sh on the running server, with the passwords kept in
# SECRETS (each made once, mode 600).
cmd_roles() {
  local secrets=$1 role variable
  is_running || die "postgres is not running in $DIR"
  for role in "${!ROLE_PASSWORDS[@]}"; do
    variable=${ROLE_PASSWORDS[$role]}
    export "$variable=$(secret "$secrets/postgres-$role")"
  done
  PGHOST=$DIR PGPORT=$(stored_port) PGUSER=postgres PGDATABASE=postgres \
    PATH="$(pg_bin):$PATH" "$(dirname "${BASH_SOURCE[0]}")/postgres_roles.sh" ||
    die "the roles could not be made in $DIR"
}

cmd_status() {
  if is_running; then
    echo "running on 127.0.0.1:$(stored_port)"
  else
    echo "stopped"
    return 3
  fi
}

main() {
  (($# >= 2)) || usage
  local cmd=$1
  [[ -n $2 ]] || usage
  [[ $cmd != start ]] || mkdir -p "$2"
  DIR=$(abs_path "$2")
  case $cmd in
    start) (($# <= 3)) || usage; cmd_start "${3:-}" ;;
    stop) cmd_stop ;;
    restart) cmd_restart ;;
    status) cmd_status ;;
    roles) (($# == 3)) || usage; cmd_roles "$(abs_path "$3")" ;;
    *) usage ;;
  esac
}

main "$@"

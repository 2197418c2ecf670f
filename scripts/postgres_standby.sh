#!/usr/bin/env bash
# A streaming hot standby of a scripts/postgres.sh server, on loopback, for failover tests and
# bench/scale_out.sh.
#   scripts/postgres_standby.sh start PRIMARY_DIR DIR PORT   pg_basebackup -R of the primary in
#                                                           PRIMARY_DIR into DIR, started on PORT
#   scripts/postgres_standby.sh start PRIMARY_DIR DIR        (again, with the remembered port)
#   scripts/postgres_standby.sh promote DIR                  pg_ctl promote: it takes writes once this returns
#   scripts/postgres_standby.sh stop DIR | status DIR        as scripts/postgres.sh
# After the base backup DIR is an ordinary scripts/postgres.sh folder (DIR/data, DIR/port,
# DIR/postgres.log): the standby replicates through primary_conninfo, which `pg_basebackup -R`
# writes into DIR/data/postgresql.auto.conf together with standby.signal.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SERVER_SCRIPT=$(dirname "${BASH_SOURCE[0]}")/postgres.sh
PG_TIMEOUT=${PG_TIMEOUT:-60}

usage() {
  echo "usage: $0 start PRIMARY_DIR DIR [PORT] | promote DIR | stop DIR | status DIR" >&2
  exit 2
}

# pg_bin — directory of the PostgreSQL server binaries (as scripts/postgres.sh finds them).
pg_bin() {
  if [[ -n ${PG_BIN:-} ]]; then
    echo "$PG_BIN"
  elif [[ -x /usr/lib/postgresql/15/bin/pg_ctl ]]; then
    echo /usr/lib/postgresql/15/bin
  else
    dirname "$(find /usr/lib/postgresql -path '*/bin/pg_ctl' 2>/dev/null | sort -V | tail -n 1)"
  fi
}

as_postgres() {
  local cmd=$1
  shift
  (cd "$DIR" && runuser -u postgres -- "$(pg_bin)/$cmd" "$@")
}

# base_backup PRIMARY_DIR — the primary's data, streamed, with the settings that make a standby.
base_backup() {
  local primary_port
  primary_port=$(cat "$1/port" 2>/dev/null) || die "$1/port missing: is $1 a scripts/postgres.sh server?"
  chown postgres: "$DIR"
  chmod 700 "$DIR"
  log "pg_basebackup of 127.0.0.1:$primary_port into $DIR/data"
  as_postgres pg_basebackup -h 127.0.0.1 -p "$primary_port" -U postgres -D "$DIR/data" \
    --write-recovery-conf --wal-method=stream --checkpoint=fast >"$DIR/basebackup.log" 2>&1 || {
    tail -n 20 "$DIR/basebackup.log" >&2
    rm -rf "$DIR/data"
    die "pg_basebackup from 127.0.0.1:$primary_port failed"
  }
}

cmd_start() {
  local primary=$1 port=${2:-}
  [[ -d $primary ]] || die "no primary in $primary"
  primary=$(abs_path "$primary")
  if [[ ! -f $DIR/data/PG_VERSION ]]; then
    [[ $port =~ ^[0-9]+$ ]] || usage
    base_backup "$primary"
  fi
  "$SERVER_SCRIPT" start "$DIR" $port
}

cmd_promote() {
  as_postgres pg_ctl promote -D "$DIR/data" -w -t "$PG_TIMEOUT" >/dev/null || die "pg_ctl promote failed in $DIR"
  log "postgres in $DIR promoted: it takes writes"
}

main() {
  (($# >= 2)) || usage
  local cmd=$1
  case $cmd in
    start)
      (($# == 3 || $# == 4)) || usage
      mkdir -p "$3"
      DIR=$(abs_path "$3")
      cmd_start "$2" "${4:-}"
      ;;
    promote) (($# == 2)) || usage; DIR=$(abs_path "$2"); cmd_promote ;;
    stop | status) (($# == 2)) || usage; exec "$SERVER_SCRIPT" "$cmd" "$2" ;;
    *) usage ;;
  esac
}

main "$@"

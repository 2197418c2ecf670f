# shellcheck shell=bash
# Sourced by the benchmarks that need the whole cluster (after scripts/lib.sh): ./run.sh on free
# ports in a temp RUN_DIR, with simulated prices, stopped again when the benchmark exits.

# start_bench_cluster — starts it; exports RUN_DIR, every port, and WRITE_DB_URL, READ_DB_URL and
# AMQP_URL as read-model-sync's role and user (for `read-model-sync verify`).
start_bench_cluster() {
  export RUN_DIR
  RUN_DIR=$(mktemp -d /tmp/buyorders-bench.XXXXXX)
  chmod 755 "$RUN_DIR"
  local variables=(POSTGRES_PORT RABBITMQ_PORT CREATE_BUY_ORDER_PORT FETCH_BUY_ORDERS_PORT BTC_PRICE_PORT READ_MODEL_SYNC_PORT)
  local ports i
  mapfile -t ports < <(free_ports "${#variables[@]}")
  for i in "${!variables[@]}"; do export "${variables[i]}=${ports[i]}"; done
  export PRICE_SOURCE=simulated LOG_LEVEL=warning
  unset WRITE_DB_URL READ_DB_URL AMQP_URL
  trap stop_bench_cluster EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  timeout 1200 ./run.sh start >/dev/null
  # run.sh's passwords (README, "Least privilege").
  local secrets=$RUN_DIR/secrets
  export WRITE_DB_URL="postgresql://read_model_sync:$(<"$secrets/postgres-read_model_sync")@127.0.0.1:$POSTGRES_PORT/write_model"
  export READ_DB_URL="postgresql://read_model_sync:$(<"$secrets/postgres-read_model_sync")@127.0.0.1:$POSTGRES_PORT/read_model"
  export AMQP_URL="amqp://read_model_sync:$(<"$secrets/rabbitmq-read_model_sync")@127.0.0.1:$RABBITMQ_PORT/buyorders"
}

# make_bench_keys COUNT — COUNT clients bench-1..COUNT, each with a rate limit no run reaches and one
# key of both scopes, made as an operator makes them (./run.sh admin: rows and events in the write
# model, projected into the read model). Exports BENCH_KEYS: a file of the keys, one per line, that
# the wrk scripts take turns with (bench/put_common.lua).
make_bench_keys() {
  local count=$1 i
  export BENCH_KEYS=$RUN_DIR/bench-keys
  : >"$BENCH_KEYS"
  chmod 600 "$BENCH_KEYS"
  # As the owner: without the URLs start_bench_cluster exported (read-model-sync's role).
  local admin=(env -u WRITE_DB_URL -u READ_DB_URL -u AMQP_URL ./run.sh admin)
  for ((i = 1; i <= count; i++)); do
    "${admin[@]}" client create "bench-$i" >/dev/null
    "${admin[@]}" client set-rate-limit "bench-$i" 1000000 --burst 1000000 >/dev/null
    "${admin[@]}" key create "bench-$i" --scopes orders:read,orders:write --label bench | tail -n 1 >>"$BENCH_KEYS"
  done
}

# stop_bench_cluster — the EXIT trap: stops everything and removes RUN_DIR, keeping the exit status.
stop_bench_cluster() {
  local rc=$?
  trap - EXIT INT TERM
  timeout 120 ./run.sh stop >/dev/null 2>&1 || true
  rm -rf "$RUN_DIR"
  exit "$rc"
}

# psql_in DATABASE SQL — the rows of one statement as the superuser (through run.sh's socket),
# unaligned, fields separated by a space.
psql_in() {
  psql -h "$RUN_DIR/postgres" -p "$POSTGRES_PORT" -U postgres -d "$1" -Atq -F ' ' -c "$2"
}

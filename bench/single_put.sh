#!/usr/bin/env bash
# Where one client's PUT /buy_order spends its time (issue 16's goal: p50 <= 1 ms), on an idle
# cluster (release build, every server on this machine), BENCH_ROUNDS (2) rounds of:
#   1. wrk -t1 -c1 PUT /buy_order, everything running (the relay and the projection of each order
#      share the two cores with the next one);
#   2. the same with RabbitMQ paused (SIGSTOP): the relay waits for its confirms and nothing reaches
#      read-model-sync, so only the request and the writer's transaction run;
#   3. pgbench -c1 of the writer's transaction alone (bench/writer_transaction.sql, its statements as
#      the service sends them) over the server's Unix socket, with and without the WAL flush at
#      commit (synchronous_commit off, for this measurement only): what PostgreSQL itself takes.
#
#   bench/single_put.sh        BENCH_SECONDS=5 BENCH_ROUNDS=2
#
# Starts its own cluster with ./run.sh on free ports in a temp RUN_DIR and stops it on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
# shellcheck source=bench/cluster.sh
source bench/cluster.sh

SECONDS_EACH=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-2}

start_bench_cluster
make_bench_keys 1
psql_in write_model "UPDATE btc_total SET limit_btc = 99999999"
broker=$(<"$RUN_DIR/rabbitmq/pid")
# Resumed whatever happens, so that the cluster stops cleanly.
trap 'kill -CONT "$broker" 2>/dev/null || true; stop_bench_cluster' EXIT

# put — one connection for SECONDS_EACH seconds: "N orders/s, p50 ..., p99 ...".
put() {
  local out
  out=$(timeout $((SECONDS_EACH + 30)) wrk -t1 -c1 -d"${SECONDS_EACH}s" -s bench/put_buy_order.lua \
    "http://127.0.0.1:$CREATE_BUY_ORDER_PORT")
  grep -q '^non-2xx answers: 0, socket errors: 0$' <<<"$out" || { echo "$out"; die "a PUT failed"; }
  sed -n 's/^orders\/s: \([0-9]*\).*/\1 orders\/s/p' <<<"$out" | tr '\n' ','
  sed -n 's/^latency from send: \(p50 [0-9.]* ms, p99 [0-9.]* ms\).*/ \1/p' <<<"$out"
}

# transaction SYNCHRONOUS_COMMIT — pgbench of the writer's transaction: "latency average = ..., tps".
transaction() {
  PGOPTIONS="-c plan_cache_mode=force_generic_plan -c synchronous_commit=$1" timeout $((SECONDS_EACH + 30)) \
    pgbench -n -c1 -T"$SECONDS_EACH" -M prepared -f bench/writer_transaction.sql \
    -h "$RUN_DIR/postgres" -p "$POSTGRES_PORT" -U postgres write_model 2>&1 |
    sed -n 's/^latency average = \(.*\)/\1/p; s/^tps = \([0-9]*\).*/ (\1 transactions\/s)/p' | tr -d '\n'
  echo
}

log "warm-up: one connection for ${SECONDS_EACH}s"
put >/dev/null
for ((round = 1; round <= ROUNDS; round++)); do
  echo "round $round"
  echo "  PUT, everything running:      $(put)"
  kill -STOP "$broker"
  echo "  PUT, RabbitMQ paused:         $(put)"
  echo "  writer's transaction alone:   $(transaction on)"
  echo "  the same, commit not flushed: $(transaction off)"
  kill -CONT "$broker"
  # The relay publishes what waited, the projection applies it: idle again before the next round.
  for _ in $(seq 1 300); do
    [[ $(psql_in write_model "SELECT count(*) FROM outbox") == 0 ]] && break
    sleep 0.1
  done
done

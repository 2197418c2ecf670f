#!/usr/bin/env bash
# What the outbox row of each order costs PostgreSQL, the measurement behind issue 16's lead "an outbox
# that needs no row per order": pgbench -c1 (one writer, as create-buy-order writes one batch at a
# time) of bench/order_batch_and_relay.sql, a batch of BENCH_BATCH (32) orders and the relay's work for
# their events, with today's outbox row (outbox=1) and without it (outbox=0), alternating BENCH_ROUNDS
# (3) times for BENCH_SECONDS (10) each. Prints, per run, batches/s and PostgreSQL's CPU per order
# (every postgres process, from /proc, by bench/cpu_by_process.py).
#
#   bench/outbox_row_cost.sh        BENCH_BATCH=32 BENCH_ROUNDS=3 BENCH_SECONDS=10
#
# Starts a PostgreSQL of its own (scripts/postgres.sh, the settings run.sh uses, durable commits) on a
# free port in a temp dir, with the write model's migrations, and stops it on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

BATCH=${BENCH_BATCH:-32}
ROUNDS=${BENCH_ROUNDS:-3}
SECONDS_EACH=${BENCH_SECONDS:-10}

ensure_packages
DIR=$(mktemp -d /tmp/buyorders-outbox-bench.XXXXXX)
chmod 755 "$DIR"
trap 'scripts/postgres.sh stop "$DIR/postgres" >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT
PORT=$(free_port)
scripts/postgres.sh start "$DIR/postgres" "$PORT" >/dev/null

psql_bench() { psql -h "$DIR/postgres" -p "$PORT" -U postgres -d write_model -Atq -v ON_ERROR_STOP=1 "$@"; }

# The migrations as run.sh applies them (the built migrate, debug unless BUILD_CONFIGURATION says otherwise).
BIN=.build/${BUILD_CONFIGURATION:-debug}
[[ -x $BIN/migrate ]] || swift build -c "${BUILD_CONFIGURATION:-debug}" --product migrate
WRITE_DB_URL="postgresql://postgres@127.0.0.1:$PORT/write_model" READ_DB_URL="postgresql://postgres@127.0.0.1:$PORT/read_model" \
  "$BIN/migrate" apply --migrations-dir migrations >/dev/null
psql_bench -c "INSERT INTO client (id) VALUES ('bench')" \
  -c "UPDATE btc_total SET limit_btc = 99999999" \
  -c "CREATE TABLE bench_relay_position (singleton BOOLEAN PRIMARY KEY DEFAULT TRUE, sequence BIGINT NOT NULL)" \
  -c "INSERT INTO bench_relay_position (sequence) VALUES (0)" -c "ANALYZE"

# run OUTBOX — one pgbench run: "B batches/s, C µs of PostgreSQL CPU per order".
run() {
  local out cpu batches
  out=$(PGOPTIONS="-c plan_cache_mode=force_generic_plan" timeout $((SECONDS_EACH + 60)) \
    bench/cpu_by_process.py -- pgbench -n -c1 -T"$SECONDS_EACH" -M prepared -D batch="$BATCH" -D outbox="$1" \
    -f bench/order_batch_and_relay.sql -h "$DIR/postgres" -p "$PORT" -U postgres write_model 2>&1)
  batches=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
  if ! grep -q '^number of failed transactions: 0 ' <<<"$out" || grep -q 'aborted' <<<"$out" || ((${batches:-0} == 0)); then
    echo "$out" >&2
    die "pgbench failed"
  fi
  cpu=$(awk '$1 == "postgres" {print $2}' <<<"$out")
  awk -v b="$batches" -v s="$SECONDS_EACH" -v c="$cpu" -v n="$BATCH" \
    'BEGIN {printf "%5.0f batches/s, %4.1f µs of PostgreSQL CPU per order\n", b / s, c * 1e6 / (b * n)}'
}

log "warm-up"
run 1 >/dev/null || exit 1
run 0 >/dev/null
for ((round = 1; round <= ROUNDS; round++)); do
  echo "round $round (batches of $BATCH)"
  echo "  outbox row per order (today):  $(run 1)"
  echo "  no outbox row (issue 16 lead): $(run 0)"
done

#!/usr/bin/env bash
# Throughput of create-buy-order (release build) with every server on this machine:
# wrk at 64 connections, a fresh idempotency key per request (bench/put_buy_order.lua), each request
# with the API key of one of BENCH_CLIENTS clients (8) in turn, their rate limits out of reach
# (BENCH_CLIENTS=0: no keys, authentication off, every request as ANONYMOUS_CLIENT=demo).
# Goals (issue 16): >= 8,000 orders/s, p99 <= 25 ms, no non-2xx answers; afterwards the stored BTC
# total must equal the sum of the stored orders exactly (checked: the script fails otherwise).
#
#   bench/create_buy_orders.sh        BENCH_DURATION=15s BENCH_CONNECTIONS=64 BENCH_THREADS=2 WARMUP=5s BENCH_CLIENTS=8
#   BENCH_SEED_KEYS=500000 BENCH_DURATION=30s   measures orders while the idempotency-key purge runs
#   (and BENCH_SEED_AGE='1 day' the same tables with nothing to purge)
#
# Starts its own cluster with ./run.sh on free ports in a temp RUN_DIR (simulated prices, the
# BTC limit raised so the run measures writing, not refusals) and stops it on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
# shellcheck source=bench/cluster.sh
source bench/cluster.sh

DURATION=${BENCH_DURATION:-15s}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}

CLIENTS=${BENCH_CLIENTS:-8}
if ((CLIENTS == 0)); then
  # Authentication off, to measure what it costs: requests carry no key and act as run.sh's client
  # demo (ANONYMOUS_CLIENT); rate limiting stays on, out of reach.
  export ANONYMOUS_CLIENT=demo RATE_LIMIT_PER_S=1000000 RATE_LIMIT_BURST=1000000
  unset BENCH_KEYS
fi
start_bench_cluster
started_at=$(date +%s)
((CLIENTS == 0)) || make_bench_keys "$CLIENTS"
# The limit is a business rule; for a throughput run it is raised so no order is refused.
psql_in write_model "UPDATE btc_total SET limit_btc = 99999999"

# BENCH_SEED_KEYS=N: N older orders and their idempotency keys, BENCH_SEED_AGE old ('200 days': past
# the 168 h retention, so create-buy-order's first purge, 60 s after it started, deletes them while
# the measured run goes on; '1 day' for the same tables with nothing to purge).
SEED_KEYS=${BENCH_SEED_KEYS:-0}
if ((SEED_KEYS > 0)); then
  log "seeding $SEED_KEYS orders and idempotency keys, ${BENCH_SEED_AGE:-200 days} old"
  psql_in write_model "
    INSERT INTO buy_order (id, client_id, currency, currency_amount, btc_rate, btc_amount, rate_source, rate_quoted_at, created_at)
    SELECT gen_random_uuid(), 'demo', 'USD', 10.00, 48478.88, 0.00020627, 'seed', now() - interval '${BENCH_SEED_AGE:-200 days}',
           now() - interval '${BENCH_SEED_AGE:-200 days}'
    FROM generate_series(1, $SEED_KEYS);
    INSERT INTO idempotency_key (client_id, key, fingerprint, buy_order_id, created_at)
    SELECT client_id, gen_random_uuid(), 'seed', id, created_at FROM buy_order WHERE rate_source = 'seed';
    UPDATE btc_total SET total = (SELECT sum(btc_amount) FROM buy_order);
    ANALYZE buy_order; ANALYZE idempotency_key"
  # The measured run (after the warm-up) starts about 5 s before the first purge.
  warm=${WARMUP:-5s}
  wait_s=$((started_at + 55 - ${warm%s} - $(date +%s)))
  ((wait_s <= 0)) || { log "waiting ${wait_s}s so that the first purge falls in the measured run"; sleep "$wait_s"; }
fi
purged() { curl -s "http://127.0.0.1:$CREATE_BUY_ORDER_PORT/metrics" | awk '/^idempotency_keys_purged_total/ {v = $2} END {print v + 0}'; }

# A fresh cluster is slow for its first seconds (empty caches, first plans, the broker's queue
# settling): a short warm-up, not measured, at the same load. Its orders count in the total check.
log "warm-up: wrk -t$THREADS -c$CONNECTIONS -d${WARMUP:-5s}"
timeout 120 wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP:-5s}" -s bench/put_buy_order.lua \
  "http://127.0.0.1:$CREATE_BUY_ORDER_PORT" >/dev/null

log "wrk -t$THREADS -c$CONNECTIONS -d$DURATION PUT /buy_order"
purged_before=$(purged)
# The CPU table (stderr) shows where each order's cost goes while every server shares the cores.
timeout 300 bench/cpu_by_process.py -- wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/put_buy_order.lua \
  "http://127.0.0.1:$CREATE_BUY_ORDER_PORT"

((SEED_KEYS == 0)) || echo "idempotency keys purged during the measured run: $(($(purged) - purged_before))"
# One client alone: the latency of a single PUT with nothing else in flight (issue 16's 1 ms goal), so
# first the relay and the projection finish the load's orders (at most 120 s).
log "waiting for the relay and read-model-sync to finish the load's orders"
for _ in $(seq 1 1200); do
  [[ $(psql_in write_model "SELECT count(*) FROM outbox") == 0 &&
    $(psql_in read_model "SELECT count(*) FROM buy_order") == $(psql_in write_model "SELECT count(*) FROM buy_order") ]] && break
  sleep 0.1
done
log "wrk -t1 -c1 -d5s PUT /buy_order (one connection, no other load)"
single=$(timeout 60 wrk -t1 -c1 -d5s --latency -s bench/put_buy_order.lua "http://127.0.0.1:$CREATE_BUY_ORDER_PORT")
echo "one connection: $(grep -E '^orders/s' <<<"$single"); $(grep -E '^latency from send' <<<"$single")"
grep -q '^non-2xx answers: 0, socket errors: 0$' <<<"$single" || { echo "$single"; die "the single-connection run had failures"; }

echo "order batches (orders per transaction):"
curl -s "http://127.0.0.1:$CREATE_BUY_ORDER_PORT/metrics" | grep -E '^order_batch_size_(sum|count)' || true
echo "orders stored: $(psql_in write_model 'SELECT count(*) FROM buy_order')"
read -r equal total < <(psql_in write_model \
  "SELECT total = (SELECT coalesce(sum(btc_amount), 0) FROM buy_order), total FROM btc_total")
echo "stored total equals the sum of stored orders: $equal (total $total BTC)"
[[ $equal == t ]]

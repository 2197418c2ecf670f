#!/usr/bin/env bash
# Projection lag under a steady write load (release build, every server on this machine):
# PUT /buy_order paced to a fixed rate (wrk with bench/paced_put.lua), then
#   - projection lag p99 (goal <= 20 ms at 4,000 orders/s, issue 16): from each order's creation in the write model to its
#     row in the read model, over every order of the run (read_model.buy_order: projected_at -
#     created_at, both stamped by the one PostgreSQL server; projected_at is when the consumer's
#     transaction began, so its commit is not counted), and read-model-sync's own
#     projection_lag_seconds histogram (/metrics, taken after commit and ack) as a cross-check;
#   - time from load stop until `read-model-sync verify` passes (goal <= 1 s).
#
#   bench/projection_lag.sh        BENCH_RATE=4000 BENCH_SECONDS=30 BENCH_CONNECTIONS=128 BENCH_THREADS=2 BENCH_CLIENTS=8
#
# Starts its own cluster with ./run.sh on free ports in a temp RUN_DIR (simulated prices) and
# stops it on exit. Exits 1 if a request failed or verify never passed; goals are reported.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
# shellcheck source=bench/cluster.sh
source bench/cluster.sh

RATE=${BENCH_RATE:-4000}
SECONDS_OF_LOAD=${BENCH_SECONDS:-30}
# 4,000/s at ~30 ms per answer needs ~120 requests in flight; fewer connections cap the rate.
CONNECTIONS=${BENCH_CONNECTIONS:-128}
THREADS=${BENCH_THREADS:-2}
VERIFY_LIMIT_S=60

now_ms() { echo $(($(date +%s%N) / 1000000)); }

start_bench_cluster
make_bench_keys "${BENCH_CLIENTS:-8}"

log "wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_OF_LOAD}s PUT /buy_order paced to $RATE/s"
load_rc=0
# The CPU table (stderr) shows what each order costs every process at this rate.
timeout $((SECONDS_OF_LOAD + 30)) bench/cpu_by_process.py -- wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_OF_LOAD}s" \
  -s bench/paced_put.lua "http://127.0.0.1:$CREATE_BUY_ORDER_PORT" -- "$RATE" "$THREADS" | tee "$RUN_DIR/wrk.out" || load_rc=$?
load_stopped=$(now_ms)
grep -q '^non-2xx answers: 0, socket errors: 0$' "$RUN_DIR/wrk.out" || load_rc=1

# Bounded: at most VERIFY_LIMIT_S seconds and 2,000 attempts.
verified=""
for ((attempt = 1; attempt <= 2000; attempt++)); do
  if output=$(.build/release/read-model-sync verify 2>&1); then
    verified=$(now_ms)
    break
  fi
  (($(now_ms) - load_stopped < VERIFY_LIMIT_S * 1000)) || break
  sleep 0.02
done

# goal VALUE LIMIT — "met" or "NOT met" for a value that must not exceed LIMIT.
goal() {
  if [[ -n $1 ]] && (($1 <= $2)); then echo "met"; else echo "NOT met"; fi
}

read -r orders p50 p99 max < <(psql_in read_model "
  SELECT count(*),
         round(1000 * percentile_cont(0.50) WITHIN GROUP (ORDER BY extract(epoch FROM projected_at - created_at)))::int,
         round(1000 * percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM projected_at - created_at)))::int,
         round(1000 * max(extract(epoch FROM projected_at - created_at)))::int
  FROM buy_order")

# read-model-sync's histogram (cumulative buckets): the share within 100 ms, and the smallest
# bucket bound that holds 99 % of the observations.
histogram=$(curl -sS --max-time 5 "http://127.0.0.1:$READ_MODEL_SYNC_PORT/metrics" | awk '
  /^projection_lag_seconds_bucket/ {
    match($0, /le="[^"]+"/); bounds[n] = substr($0, RSTART + 4, RLENGTH - 5); counts[n] = $NF; n++
  }
  /^projection_lag_seconds_count/ { total = $NF }
  END {
    if (total == 0) { print "no observations"; exit }
    for (i = 0; i < n; i++) {
      if (bounds[i] == "0.1") within = counts[i]
      if (p99 == "" && counts[i] >= 0.99 * total) p99 = bounds[i]
    }
    printf "%d observations, %.2f %% within 100 ms, p99 in the bucket <= %s s", total, 100 * within / total, p99
  }')

achieved=$(sed -n 's/^orders\/s: \([0-9]*\).*/\1/p' "$RUN_DIR/wrk.out")
echo
echo "== projection lag: PUT /buy_order paced to $RATE/s for $SECONDS_OF_LOAD s, $CONNECTIONS connections"
echo "load:                ${achieved:-?} orders/s achieved of $RATE offered ($(sed -n 's/^non-2xx/non-2xx/p' "$RUN_DIR/wrk.out"))"
echo "lag p99:             $p99 ms (p50 $p50 ms, max $max ms, over $orders orders; read model projected_at - created_at)  goal <= 20 ms: $(goal "$p99" 20)"
echo "lag histogram:       read-model-sync projection_lag_seconds: $histogram"
if [[ -n $verified ]]; then
  echo "verify after load:   passed $((verified - load_stopped)) ms after the load stopped (attempt $attempt)  goal <= 1000 ms: $(goal $((verified - load_stopped)) 1000)"
  echo "                     $output"
else
  echo "verify after load:   did not pass within $VERIFY_LIMIT_S s of the load stopping: $output  goal <= 1000 ms: NOT met"
fi

[[ $load_rc == 0 && -n $verified ]]

#!/usr/bin/env bash
# Live-stream fan-out (release build, every server on this machine): STREAMS open streams of
# GET /v1/buy_orders/stream across CLIENTS clients (one C process, epoll, bench/stream_clients.c)
# while PUT /buy_order arrives paced to RATE orders/s (wrk with bench/paced_put.lua, the orders
# spread over the clients' keys). Reports
#   - latency from each order's created_at (write model) to its arrival at each subscriber:
#     p50 / p99 / max over every delivery (goal: p99 <= 200 ms);
#   - nothing lost: every stream of a client got exactly as many orders as the client has in the
#     read model, positions strictly growing (no repeat, no step back), no stream ended early;
#   - fetch-buy-orders' RSS and CPU with the streams open: idle, and under the load.
#
#   bench/stream_fanout.sh     BENCH_STREAMS=1000 BENCH_CLIENTS=10 BENCH_RATE=1000 BENCH_SECONDS=30
#
# Starts its own cluster with ./run.sh on free ports in a temp RUN_DIR (simulated prices) and stops
# it on exit. Exits 1 if a request failed, an order was lost or a stream broke; goals are reported.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
# shellcheck source=bench/cluster.sh
source bench/cluster.sh

STREAMS=${BENCH_STREAMS:-1000}
CLIENTS=${BENCH_CLIENTS:-10}
RATE=${BENCH_RATE:-1000}
SECONDS_OF_LOAD=${BENCH_SECONDS:-30}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
IDLE_SECONDS=10
PER_CLIENT=$((STREAMS / CLIENTS))

# The streams need descriptors: fetch-buy-orders' connection bound follows the open-file limit.
ulimit -n "$(ulimit -Hn)"
export HTTP_MAX_CONNECTIONS=$((STREAMS + 512)) STREAM_MAX_PER_CLIENT=$((PER_CLIENT + 10))

start_bench_cluster
BIN=$ROOT/.build/release

cc -O2 -o "$RUN_DIR/stream_clients" bench/stream_clients.c || die "cc bench/stream_clients.c failed"

log "$CLIENTS clients with a key each"
make_bench_keys "$CLIENTS"
awk '{print "bench-" NR, $0}' "$BENCH_KEYS" >"$RUN_DIR/keys"
# The read model checks keys: wait until read-model-sync projected them.
for _ in $(seq 1 100); do
  [[ $(psql_in read_model "SELECT count(*) FROM api_key WHERE client_id LIKE 'bench-%'") == "$CLIENTS" ]] && break
  sleep 0.1
done

fetch_pid=$(awk '{print $1}' "$RUN_DIR/pids/fetch-buy-orders.pid")
ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$fetch_pid/stat"; }
rss_mib() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$fetch_pid/status"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

log "opening $STREAMS streams ($PER_CLIENT per client)"
rss_before=$(rss_mib)
"$RUN_DIR/stream_clients" "$FETCH_BUY_ORDERS_PORT" "$RUN_DIR/keys" "$PER_CLIENT" "$RUN_DIR/ready" >"$RUN_DIR/streams.out" &
clients_pid=$!
for _ in $(seq 1 600); do [[ -f $RUN_DIR/ready ]] && break; sleep 0.1; done
[[ -f $RUN_DIR/ready ]] || die "the streams did not all open"

log "idle for ${IDLE_SECONDS}s with the streams open"
cpu0=$(cpu_ticks); t0=$(now_ms)
sleep "$IDLE_SECONDS"
cpu1=$(cpu_ticks); t1=$(now_ms)
rss_idle=$(rss_mib)

log "wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_OF_LOAD}s PUT /buy_order paced to $RATE/s over $CLIENTS keys"

( while sleep 1; do rss_mib; echo; done ) >"$RUN_DIR/rss.samples" &
sampler_pid=$!
load_rc=0
# The CPU table (stderr) shows which process the fan-out's cost lands in, the stream readers' included.
timeout $((SECONDS_OF_LOAD + 30)) bench/cpu_by_process.py -- wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_OF_LOAD}s" \
  -s bench/paced_put.lua "http://127.0.0.1:$CREATE_BUY_ORDER_PORT" -- "$RATE" "$THREADS" | tee "$RUN_DIR/wrk.out" || load_rc=$?
cpu2=$(cpu_ticks); t2=$(now_ms)
kill "$sampler_pid" 2>/dev/null || true
grep -q '^non-2xx answers: 0, socket errors: 0$' "$RUN_DIR/wrk.out" || load_rc=1
rss_peak=$(sort -n "$RUN_DIR/rss.samples" | tail -n 1)

# Every accepted order reaches the read model, then the streams.
written=$(psql_in write_model "SELECT count(*) FROM buy_order WHERE client_id LIKE 'bench-%'")
for _ in $(seq 1 300); do
  [[ $(psql_in read_model "SELECT count(*) FROM buy_order WHERE client_id LIKE 'bench-%'") == "$written" ]] && break
  sleep 0.1
done
sleep 3
kill -TERM "$clients_pid"
wait "$clients_pid" || true
cat "$RUN_DIR/streams.out"

lost=0
while read -r client count; do
  line=$(grep "^client $client " "$RUN_DIR/streams.out" || true)
  fewest=$(awk '{print $6}' <<<"$line")
  most=$(awk '{print $8}' <<<"$line")
  if [[ $fewest != "$count" || $most != "$count" ]]; then
    echo "client $client: $count orders in the read model, its streams got $fewest to $most"
    lost=1
  fi
done < <(psql_in read_model "SELECT client_id, count(*) FROM buy_order WHERE client_id LIKE 'bench-%' GROUP BY client_id")
read -r _ streams _ ended _ out_of_order _ unparsed _ events < <(head -n 1 "$RUN_DIR/streams.out")
[[ $ended == 0 && $out_of_order == 0 && $unparsed == 0 ]] || lost=1

idle_cpu=$(awk -v d="$((cpu1 - cpu0))" -v t="$ticks" -v ms="$((t1 - t0))" 'BEGIN {printf "%.1f", 100 * d / t / (ms / 1000)}')
load_cpu=$(awk -v d="$((cpu2 - cpu1))" -v t="$ticks" -v ms="$((t2 - t1))" 'BEGIN {printf "%.1f", 100 * d / t / (ms / 1000)}')
p99=$(awk '/^latency_ms/ {print $7}' "$RUN_DIR/streams.out")
echo "orders: $written in the write model, $events deliveries to $streams streams"
echo "fetch-buy-orders RSS: ${rss_before} MiB before the streams, ${rss_idle} MiB with them idle, ${rss_peak} MiB peak under load"
echo "fetch-buy-orders CPU: ${idle_cpu} % of a core idle with the streams open, ${load_cpu} % under the load"
awk -v p99="$p99" 'BEGIN {printf "goal p99 <= 200 ms: %s (%s ms)\n", (p99 <= 200 ? "met" : "missed"), p99}'
[[ $lost == 0 ]] && echo "nothing lost: every stream got every order of its client, once, in order" || echo "LOST OR BROKEN: see above"
((load_rc == 0 && lost == 0))

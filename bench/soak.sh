#!/usr/bin/env bash
# Memory under a steady load: the whole cluster (release build, ./run.sh on free ports) takes orders
# paced to SOAK_RATE/s (2,000) for SOAK_SECONDS (600) with API keys of several clients
# (bench/paced_put.lua), while the resident set (VmRSS) of each service is sampled every
# SOAK_SAMPLE_S seconds (30). It prints one line per sample, then per service the RSS after the first
# minute and at the end and the growth between them; afterwards every order answered must be in the
# read model (`read-model-sync verify`). Growth is judged from the first minute on: caches, pools and
# the allocator settle in the first seconds.
#
#   bench/soak.sh        SOAK_RATE=2000 SOAK_SECONDS=600 SOAK_SAMPLE_S=30 BENCH_CONNECTIONS=64 BENCH_CLIENTS=8
#
# Everything listens on 127.0.0.1 and is stopped when the script exits.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
# shellcheck source=bench/cluster.sh
source bench/cluster.sh

RATE=${SOAK_RATE:-2000}
SECONDS_OF_LOAD=${SOAK_SECONDS:-600}
SAMPLE_S=${SOAK_SAMPLE_S:-30}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
SERVICES=(create-buy-order fetch-buy-orders read-model-sync btc-price)

# rss_kib SERVICE — the resident set of the running service, in KiB.
rss_kib() {
  local pid
  read -r pid _ <"$RUN_DIR/pids/$1.pid"
  awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"
}

start_bench_cluster
make_bench_keys "${BENCH_CLIENTS:-8}"
psql_in write_model "UPDATE btc_total SET limit_btc = 99999999"

log "wrk -t2 -c$CONNECTIONS -d${SECONDS_OF_LOAD}s PUT /buy_order paced to $RATE/s; RSS every ${SAMPLE_S}s"
timeout $((SECONDS_OF_LOAD + 60)) wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_OF_LOAD}s" -s bench/paced_put.lua \
  "http://127.0.0.1:$CREATE_BUY_ORDER_PORT" -- "$RATE" 2 >"$RUN_DIR/wrk.out" &
load=$!

declare -A first last
printf '%8s' "t (s)"
printf ' %18s' "${SERVICES[@]}"
printf '   (VmRSS, MiB)\n'
started=$SECONDS
for ((sample = 0; sample <= SECONDS_OF_LOAD / SAMPLE_S; sample++)); do
  ((sample == 0)) || sleep "$SAMPLE_S"
  printf '%8d' $((SECONDS - started))
  for svc in "${SERVICES[@]}"; do
    kib=$(rss_kib "$svc")
    printf ' %18.1f' "$(awk -v k="$kib" 'BEGIN { print k / 1024 }')"
    # The baseline: the first sample after a minute of load.
    if [[ -z ${first[$svc]:-} ]] && ((SECONDS - started >= 60 || SECONDS_OF_LOAD < 120)); then first[$svc]=$kib; fi
    last[$svc]=$kib
  done
  printf '\n'
done
load_rc=0
wait "$load" || load_rc=$?
cat "$RUN_DIR/wrk.out"
grep -q '^non-2xx answers: 0, socket errors: 0$' "$RUN_DIR/wrk.out" || load_rc=1

echo "RSS from the first minute to the end of $SECONDS_OF_LOAD s at $RATE orders/s:"
for svc in "${SERVICES[@]}"; do
  awk -v s="$svc" -v a="${first[$svc]}" -v b="${last[$svc]}" \
    'BEGIN { printf "  %-18s %7.1f MiB -> %7.1f MiB  (%+.1f MiB, %+.1f %%)\n", s, a / 1024, b / 1024, (b - a) / 1024, (b - a) * 100 / a }'
done

verified=0
for ((attempt = 1; attempt <= 300; attempt++)); do
  if .build/release/read-model-sync verify >/dev/null 2>&1; then verified=1; break; fi
  sleep 0.2
done
echo "orders stored: $(psql_in write_model 'SELECT count(*) FROM buy_order'); verify: $( ((verified)) && echo ok || echo FAILED)"
((load_rc == 0 && verified))

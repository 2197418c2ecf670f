#!/usr/bin/env bash
# The HA shape of deploy/k8s from real servers on loopback, and what survives its faults:
#   - RabbitMQ: a cluster of three nodes (scripts/rabbitmq_cluster.sh), the quorum queue on all three;
#   - PostgreSQL: the write model on one server, the read model on a primary with a streaming standby
#     (scripts/postgres_standby.sh);
#   - two instances of each of create-buy-order, fetch-buy-orders, read-model-sync and btc-price
#     (release build), behind HAProxy with health checks on /ready;
#   - clients with API keys (buyorders-admin) sending orders through HAProxy and retrying each failed
#     request with the same idempotency key (bench/scale_out_load.py), readers beside them.
# First the throughput of one create-buy-order against two (wrk, no faults, alternating rounds). Then,
# under a steady load: kill -9 of the broker node the services use, kill -9 of one create-buy-order,
# kill -9 of one read-model-sync, a restart of the read standby, and a failover of the read model
# (its primary stopped, the standby promoted). Afterwards it checks that every order answered 200
# exists once under its key, that no order exists that was not answered, that the BTC total equals
# the sum of the orders, that `read-model-sync verify` passes and that the read model has no duplicate.
# The last line: `scale-out: N orders, 0 lost, 0 duplicated, verify ok; one create-buy-order X orders/s,
# two Y orders/s` (exit 0), else the counts found and exit 1.
#
#   bench/scale_out.sh      SCALE_OUT_SECONDS=70 SCALE_OUT_RATE=300 SCALE_OUT_WRK_SECONDS=10
#                           SCALE_OUT_CONNECTIONS=64 SCALE_OUT_ROUNDS=3 (pairs of alternating wrk rounds)
#                           KEEP_STATE=1 (keeps the logs in the state folder)
#                           BUILD_CONFIGURATION=release (debug: to try the script, not for figures)
#
# Everything listens on 127.0.0.1 and is stopped by pid when the script exits.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

SECONDS_OF_LOAD=${SCALE_OUT_SECONDS:-70}
RATE=${SCALE_OUT_RATE:-300}
WRK_SECONDS=${SCALE_OUT_WRK_SECONDS:-10}
CONNECTIONS=${SCALE_OUT_CONNECTIONS:-64}
ROUNDS=${SCALE_OUT_ROUNDS:-3}
for pair in SCALE_OUT_SECONDS:SECONDS_OF_LOAD SCALE_OUT_RATE:RATE SCALE_OUT_WRK_SECONDS:WRK_SECONDS \
  SCALE_OUT_CONNECTIONS:CONNECTIONS SCALE_OUT_ROUNDS:ROUNDS; do
  var=${pair#*:}
  [[ ${!var} =~ ^[1-9][0-9]{0,4}$ ]] || { echo "${pair%%:*} must be a whole number, got '${!var}'" >&2; exit 2; }
done
# release for the figures; debug only to try the script itself
BUILD_CONFIGURATION=${BUILD_CONFIGURATION:-release}
[[ $BUILD_CONFIGURATION == release || $BUILD_CONFIGURATION == debug ]] ||
  { echo "BUILD_CONFIGURATION must be release or debug" >&2; exit 2; }
BIN=$ROOT/.build/$BUILD_CONFIGURATION
STATE=""
SERVICE_PIDS=()
HAPROXY_PID=""
LOAD_PID=""

# MARK: - cleanup

# stop_pid PID — SIGTERM, up to 15 s, then SIGKILL; only our own children.
stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  wait_exit "$pid" 15 || kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  [[ -z $LOAD_PID ]] || stop_pid "$LOAD_PID"
  local stoppers=()
  for pid in "${SERVICE_PIDS[@]}"; do
    stop_pid "$pid" &
    stoppers+=($!)
  done
  for pid in "${stoppers[@]}"; do wait "$pid" || true; done
  [[ -z $HAPROXY_PID ]] || stop_pid "$HAPROXY_PID"
  if [[ -n $STATE ]]; then
    scripts/rabbitmq_cluster.sh stop "$STATE/rabbitmq" >/dev/null 2>&1 || true
    local server
    for server in read-standby read write; do
      scripts/postgres.sh stop "$STATE/$server" >/dev/null 2>&1 || true
    done
    if [[ ${KEEP_STATE:-} == 1 ]]; then log "kept $STATE"; else rm -rf "$STATE"; fi
  fi
  exit "$rc"
}

# MARK: - servers and services

# psql_at PORT DATABASE SQL — one statement's rows, unaligned, fields separated by a space.
psql_at() {
  psql -X -h 127.0.0.1 -p "$1" -U postgres -d "$2" -Atq -F ' ' -v ON_ERROR_STOP=1 -c "$3"
}

# start_service NAME INDEX VAR=VALUE... — a release binary in the background, its port in PORT_<NAME>_<INDEX>.
declare -A PID_OF PORT_OF
start_service() {
  local name=$1 index=$2 port
  shift 2
  port=$(free_port)
  env "$@" HOST=127.0.0.1 PORT="$port" LOG_LEVEL=warning "$BIN/$name" >>"$STATE/logs/$name-$index.log" 2>&1 &
  SERVICE_PIDS+=($!)
  PID_OF[$name-$index]=$!
  PORT_OF[$name-$index]=$port
}

# await_ready URL SECONDS — until GET URL/ready answers 200.
await_ready() {
  local deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1/ready") == 200 ]] && return 0
    sleep 0.5
  done
  die "$1 did not become ready within $2 s"
}

write_haproxy_config() {
  local name
  {
    cat <<EOF
global
    maxconn 8192
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout http-keep-alive 10s
    # A connection that could not be made goes to the other instance; a request already sent is
    # never sent again by the balancer (the client retries it with its idempotency key).
    option redispatch
    retries 2
    default-server inter 500ms fall 2 rise 2
EOF
    for name in create-buy-order fetch-buy-orders btc-price; do
      cat <<EOF
frontend $name
    bind 127.0.0.1:${LB_PORT[$name]}
    default_backend $name
backend $name
    balance roundrobin
    option httpchk GET /ready
    http-check expect status 200
    server ${name}-1 127.0.0.1:${PORT_OF[$name-1]} check
    server ${name}-2 127.0.0.1:${PORT_OF[$name-2]} check
EOF
    done
    cat <<EOF
frontend create-buy-order-one
    bind 127.0.0.1:${LB_PORT[create-buy-order-one]}
    default_backend create-buy-order-one
backend create-buy-order-one
    option httpchk GET /ready
    http-check expect status 200
    server create-buy-order-1 127.0.0.1:${PORT_OF[create-buy-order-1]} check
EOF
  } >"$STATE/haproxy.cfg"
}

# admin ARGS... — buyorders-admin against the write model; its stdout.
admin() {
  WRITE_DB_URL=$WRITE_DB_URL "$BIN/buyorders-admin" "$@"
}

start_cluster() {
  log "a RabbitMQ cluster of three nodes"
  scripts/rabbitmq_cluster.sh start "$STATE/rabbitmq" 3
  AMQP_URL=$(scripts/rabbitmq_cluster.sh urls "$STATE/rabbitmq")
  log "PostgreSQL: the write model; the read model with a streaming standby"
  WRITE_PORT=$(free_port)
  scripts/postgres.sh start "$STATE/write" "$WRITE_PORT"
  READ_PORT=$(free_port)
  scripts/postgres.sh start "$STATE/read" "$READ_PORT"
  STANDBY_PORT=$(free_port)
  scripts/postgres_standby.sh start "$STATE/read" "$STATE/read-standby" "$STANDBY_PORT"
  WRITE_DB_URL="postgresql://postgres@127.0.0.1:$WRITE_PORT/write_model"
  # read-model-sync and migrate ask for a read-write session (the primary, whichever is listed first);
  # fetch-buy-orders prefers the standby.
  READ_DB_URL="postgresql://postgres@127.0.0.1:$READ_PORT,127.0.0.1:$STANDBY_PORT/read_model"
  FETCH_DB_URL="postgresql://postgres@127.0.0.1:$STANDBY_PORT,127.0.0.1:$READ_PORT/read_model?target_session_attrs=prefer-standby"
  WRITE_DB_URL=$WRITE_DB_URL READ_DB_URL=$READ_DB_URL "$BIN/migrate" apply --migrations-dir migrations >/dev/null
  # A business rule; for a load run it is raised so that no order is refused.
  psql_at "$WRITE_PORT" write_model "UPDATE btc_total SET limit_btc = 99999999" >/dev/null

  declare -g -A LB_PORT
  local name i
  for name in create-buy-order create-buy-order-one fetch-buy-orders btc-price; do LB_PORT[$name]=$(free_port); done
  local limits=(RATE_LIMIT_PER_S=1000000 RATE_LIMIT_BURST=1000000)
  log "two instances of each service, behind HAProxy"
  for i in 1 2; do
    start_service btc-price "$i" PRICE_SOURCE=simulated
    start_service read-model-sync "$i" READ_DB_URL="$READ_DB_URL" AMQP_URL="$AMQP_URL"
    start_service fetch-buy-orders "$i" READ_DB_URL="$FETCH_DB_URL" "${limits[@]}"
    # ANONYMOUS_CLIENT only for wrk's throughput rounds; the load below uses keys.
    start_service create-buy-order "$i" WRITE_DB_URL="$WRITE_DB_URL" AMQP_URL="$AMQP_URL" \
      BTC_PRICE_URL="http://127.0.0.1:${LB_PORT[btc-price]}" ANONYMOUS_CLIENT=bench "${limits[@]}"
  done
  write_haproxy_config
  haproxy -f "$STATE/haproxy.cfg" -db >"$STATE/logs/haproxy.log" 2>&1 &
  HAPROXY_PID=$!
  for name in btc-price read-model-sync fetch-buy-orders create-buy-order; do
    for i in 1 2; do await_ready "http://127.0.0.1:${PORT_OF[$name-$i]}" 120; done
  done
  for name in create-buy-order fetch-buy-orders; do await_ready "http://127.0.0.1:${LB_PORT[$name]}" 30; done

  admin client create bench >/dev/null
  : >"$STATE/keys.tsv"
  for i in 1 2 3 4; do
    admin client create "load$i" >/dev/null
    printf 'load%s\t%s\n' "$i" "$(admin key create "load$i" --label scale-out | tail -n 1)" >>"$STATE/keys.tsv"
  done
  # fetch-buy-orders checks keys in the read model: wait until they are projected and replicated.
  local deadline=$((SECONDS + 60))
  until [[ $(psql_at "$STANDBY_PORT" read_model "SELECT count(*) FROM api_key") -ge 4 ]]; do
    ((SECONDS < deadline)) || die "the keys did not reach the read model's standby within 60 s"
    sleep 0.5
  done
}

# MARK: - throughput

# batch_totals — order_batch_size sum and count over both create-buy-order instances (/metrics).
batch_totals() {
  local i
  for i in 1 2; do
    curl -s --max-time 2 "http://127.0.0.1:${PORT_OF[create-buy-order-$i]}/metrics" || true
  done | awk '/^order_batch_size_sum/ { sum += $2 } /^order_batch_size_count/ { count += $2 } END { printf "%d %d\n", sum, count }'
}

# wrk_round PORT — one wrk run against 127.0.0.1:PORT (a fresh key per request); prints
# "orders/s mean-writers-waiting-for-a-lock mean-orders-per-batch". The write model is sampled every
# 0.2 s meanwhile: how many of its sessions wait for a lock (the btc_total row, held by the batch of
# the other instance).
wrk_round() {
  local output=$STATE/wrk.out before after samples
  read -r -a before < <(batch_totals)
  timeout $((WRK_SECONDS + 60)) wrk -t2 -c"$CONNECTIONS" -d"${WRK_SECONDS}s" -s bench/put_buy_order.lua \
    "http://127.0.0.1:$1" >"$output" &
  local wrk_pid=$!
  samples=$(while kill -0 "$wrk_pid" 2>/dev/null; do
    psql_at "$WRITE_PORT" write_model \
      "SELECT count(*) FROM pg_stat_activity WHERE datname = 'write_model' AND wait_event_type = 'Lock'" || true
    sleep 0.2
  done)
  wait "$wrk_pid" || die "wrk failed: $(cat "$output")"
  read -r -a after < <(batch_totals)
  grep -q '^non-2xx answers: 0, socket errors: 0$' "$output" || log "wrk: $(grep -E '^non-2xx' "$output")"
  printf '%s %s %s\n' "$(sed -n 's/^orders\/s: \([0-9]*\).*/\1/p' "$output")" \
    "$(awk '{ sum += $1; n++ } END { printf "%.2f", n ? sum / n : 0 }' <<<"$samples")" \
    "$(awk -v s=$((after[0] - before[0])) -v c=$((after[1] - before[1])) 'BEGIN { printf "%.1f", c ? s / c : 0 }')"
}

measure_throughput() {
  log "throughput: warm-up, then one create-buy-order against two, alternating ($WRK_SECONDS s each, $CONNECTIONS connections)"
  wrk_round "${LB_PORT[create-buy-order]}" >/dev/null
  ONE=()
  TWO=()
  local round result
  for ((round = 1; round <= ROUNDS; round++)); do
    result=$(wrk_round "${LB_PORT[create-buy-order-one]}")
    ONE+=("$result")
    log "one instance: $result (orders/s, writers waiting for a lock, orders per batch)"
    result=$(wrk_round "${LB_PORT[create-buy-order]}")
    TWO+=("$result")
    log "two instances: $result"
  done
}

# MARK: - faults under load

# fault SECONDS WHAT COMMAND... — waits until SECONDS into the load, then runs COMMAND.
fault() {
  local at=$1 what=$2
  shift 2
  while (($(date +%s) - LOAD_STARTED < at)); do sleep 0.2; done
  log "t=${at}s: $what"
  "$@"
}

promote_read_standby() {
  scripts/postgres.sh stop "$STATE/read"
  scripts/postgres_standby.sh promote "$STATE/read-standby"
}

run_faults() {
  local step=$((SECONDS_OF_LOAD / 7))
  log "steady load: $RATE orders/s for $SECONDS_OF_LOAD s (4 clients with keys, 16 workers, retries with the same key), 2 readers"
  python3 bench/scale_out_load.py --create-url "http://127.0.0.1:${LB_PORT[create-buy-order]}" \
    --fetch-url "http://127.0.0.1:${LB_PORT[fetch-buy-orders]}" --keys "$STATE/keys.tsv" \
    --seconds "$SECONDS_OF_LOAD" --rate "$RATE" --out "$STATE/answers.csv" >"$STATE/load.json" 2>"$STATE/load.err" &
  LOAD_PID=$!
  LOAD_STARTED=$(date +%s)
  fault $((step * 1)) "kill -9 of RabbitMQ node 1, the one every broker connection uses" \
    scripts/rabbitmq_cluster.sh kill-node "$STATE/rabbitmq" 1
  fault $((step * 2)) "kill -9 of create-buy-order 1" kill -KILL "${PID_OF[create-buy-order-1]}"
  fault $((step * 3)) "kill -9 of read-model-sync 1" kill -KILL "${PID_OF[read-model-sync-1]}"
  fault $((step * 4)) "restart of the read model's standby" scripts/postgres.sh restart "$STATE/read-standby"
  fault $((step * 5)) "the read model's primary stopped, its standby promoted" promote_read_standby
  log "waiting for the load to end (each order still unanswered is retried, bounded)"
  wait "$LOAD_PID" || die "the load generator failed: $(tail -n 5 "$STATE/load.err")"
  LOAD_PID=""
  cat "$STATE/load.err" >&2
}

# MARK: - checks

# count SQL — one number from the write model.
count() { psql_at "$WRITE_PORT" write_model "$1"; }

check() {
  local deadline=$((SECONDS + 180)) written projected
  log "waiting until the outbox is empty and the read model holds every order"
  while ((SECONDS < deadline)); do
    written=$(count "SELECT count(*) FROM buy_order")
    projected=$(psql_at "$STANDBY_PORT" read_model "SELECT count(*) FROM buy_order" 2>/dev/null || echo -1)
    [[ $(count "SELECT count(*) FROM outbox") == 0 && $written == "$projected" ]] && break
    sleep 1
  done
  psql_at "$WRITE_PORT" write_model "CREATE TABLE scale_out_answer (client_id text, key uuid, buy_order_id uuid)"
  psql -X -q -h 127.0.0.1 -p "$WRITE_PORT" -U postgres -d write_model -v ON_ERROR_STOP=1 \
    -c "\\copy scale_out_answer FROM '$STATE/answers.csv' WITH (FORMAT csv)"
  ANSWERED=$(count "SELECT count(*) FROM scale_out_answer")
  # Lost: answered 200, but its key has no order, or another one.
  LOST=$(count "SELECT count(*) FROM scale_out_answer a LEFT JOIN idempotency_key k USING (client_id, key)
                WHERE k.buy_order_id IS DISTINCT FROM a.buy_order_id")
  # Duplicated: a key answered twice, an order under two keys, or an order of the load nobody was answered.
  DUPLICATED=$(count "SELECT (SELECT count(*) - count(DISTINCT (client_id, key)) FROM scale_out_answer)
                     + (SELECT count(*) - count(DISTINCT buy_order_id) FROM idempotency_key)
                     + (SELECT count(*) FROM buy_order o WHERE o.client_id LIKE 'load%'
                        AND NOT EXISTS (SELECT 1 FROM scale_out_answer a WHERE a.buy_order_id = o.id))")
  TOTAL_OK=$(count "SELECT total = (SELECT coalesce(sum(btc_amount), 0) FROM buy_order) FROM btc_total")
  READ_DUPLICATES=$(psql_at "$STANDBY_PORT" read_model "SELECT count(*) - count(DISTINCT id) FROM buy_order")
  psql_at "$WRITE_PORT" write_model "DROP TABLE scale_out_answer"
  # The dead-letter queue is a classic queue on node 1 (killed above): verify reads it once the node is back.
  log "RabbitMQ node 1 started again, so that verify also reads the dead-letter queue (it lives on that node)"
  scripts/rabbitmq_cluster.sh start-node "$STATE/rabbitmq" 1 || log "RabbitMQ node 1 did not start again"
  VERIFY_RC=0
  VERIFY=$(WRITE_DB_URL=$WRITE_DB_URL READ_DB_URL=$READ_DB_URL AMQP_URL=$AMQP_URL "$BIN/read-model-sync" verify 2>&1) ||
    VERIFY_RC=$?
}

# column N ROUNDS... — the mean of field N of each "rate waits batch" round.
column() {
  local n=$1
  shift
  printf '%s\n' "$@" | awk -v n="$n" '{ sum += $n; count++ } END { format = n == 1 ? "%.0f" : "%.2f"; printf format, sum / count }'
}

report() {
  local summary
  summary=$(tail -n 1 "$STATE/load.json")
  echo
  echo "== scale-out: three broker nodes, a read standby, two instances of each service behind HAProxy"
  echo "throughput (wrk through HAProxy, $CONNECTIONS connections, ${WRK_SECONDS} s rounds alternating, no faults):"
  echo "  one create-buy-order:  $(column 1 "${ONE[@]}") orders/s, $(column 3 "${ONE[@]}") orders per batch," \
    "$(column 2 "${ONE[@]}") writers waiting for a lock (rounds: ${ONE[*]})"
  echo "  two create-buy-order:  $(column 1 "${TWO[@]}") orders/s, $(column 3 "${TWO[@]}") orders per batch," \
    "$(column 2 "${TWO[@]}") writers waiting for a lock (rounds: ${TWO[*]})"
  echo "  every batch of every instance locks the one btc_total row: writers serialise on it, so a second"
  echo "  instance adds availability (and HTTP capacity), not write throughput"
  echo "load under faults: $summary"
  echo "checks: $ANSWERED orders answered 200; lost $LOST; duplicated $DUPLICATED; total = sum: $TOTAL_OK;" \
    "read model duplicates: $READ_DUPLICATES; verify exit $VERIFY_RC"
  printf '%s\n' "$VERIFY" | sed 's/^/  /'
  local ok=1
  [[ $LOST == 0 && $DUPLICATED == 0 && $TOTAL_OK == t && $READ_DUPLICATES == 0 && $VERIFY_RC == 0 ]] || ok=0
  [[ $(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(s["gave_up"] + s["unexpected_count"] + s["stuck_threads"])' "$summary") == 0 ]] || ok=0
  # The readers go through the faults too: a few failed reads while a standby restarts or is promoted,
  # not more than one in ten.
  read -r READS READ_FAILURES < <(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(s["reads"], sum(s["read_failures"].values()))' "$summary")
  echo "reads: $READS, of which failed $READ_FAILURES"
  ((READS > 0 && READ_FAILURES * 10 <= READS)) || { echo "too many failed reads"; ok=0; }
  if ((ok)); then
    echo "scale-out: $ANSWERED orders, 0 lost, 0 duplicated, verify ok;" \
      "one create-buy-order $(column 1 "${ONE[@]}") orders/s, two $(column 1 "${TWO[@]}") orders/s"
  else
    echo "scale-out: $ANSWERED orders, $LOST lost, $DUPLICATED duplicated, verify $([[ $VERIFY_RC == 0 ]] && echo ok || echo FAILED)"
    return 1
  fi
}

main() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  ensure_packages
  # The load balancer: Debian's HAProxy, installed (by lib.sh's helper) only for this script.
  ensure_packages haproxy
  log "swift build -c $BUILD_CONFIGURATION"
  timeout 3600 swift build -c "$BUILD_CONFIGURATION" >/dev/null || die "swift build -c $BUILD_CONFIGURATION failed"
  STATE=$(mktemp -d /tmp/buyorders-scale-out.XXXXXX)
  chmod 755 "$STATE"
  mkdir "$STATE/logs"
  start_cluster
  measure_throughput
  run_faults
  check
  report
}

main "$@"

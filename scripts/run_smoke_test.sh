#!/usr/bin/env bash
# Smoke test of ./run.sh and curl/: a whole cluster on free ports in a fresh
# RUN_DIR, two orders created and paged through with the key of the client demo,
# status, stop, and a check that nothing it started still runs or listens; then a
# second start that keeps the same key. Always stops what it started.
# Along the way: everything it starts listens on loopback only; a request without a
# key is a 401; the passwords run.sh made and the key are files of mode 600 and
# appear in no log, answer or command line (the key only where run.sh prints it);
# the broker has no guest.
#   scripts/run_smoke_test.sh
# SMOKE_TIMEOUT (900 s) bounds the start, build included; BUILD_CONFIGURATION
# (release) is passed to run.sh; KEEP_SMOKE_STATE=1 keeps the RUN_DIR.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

SMOKE_TIMEOUT=${SMOKE_TIMEOUT:-900}
# How long an order may take to reach the read model.
PROJECTION_TIMEOUT=30
STARTED=0
PORT_VARS=(POSTGRES_PORT RABBITMQ_PORT CREATE_BUY_ORDER_PORT FETCH_BUY_ORDERS_PORT BTC_PRICE_PORT
  READ_MODEL_SYNC_PORT)
PROCESS_IDS=()
# The orders exercise_curl_scripts made, oldest first.
FIRST_ORDER=""
SECOND_ORDER=""

fail() {
  die "smoke test failed: $*"
}

# cleanup — stop the cluster if it may still run; show its logs on failure.
cleanup() {
  local rc=$? f
  trap - EXIT INT TERM
  if ((STARTED)); then
    timeout 120 ./run.sh stop || log "run.sh stop failed"
  fi
  if ((rc != 0)) && [[ -d ${RUN_DIR:-}/logs ]]; then
    for f in "$RUN_DIR"/logs/*.log; do
      [[ $f == */build.log ]] && continue
      log "tail of $f:"
      tail -n 5 "$f" >&2 || true
    done
  fi
  if [[ -n ${RUN_DIR:-} ]]; then
    if [[ ${KEEP_SMOKE_STATE:-} == 1 ]]; then
      log "kept $RUN_DIR"
    else
      rm -rf "$RUN_DIR"
    fi
  fi
  exit "$rc"
}

# configure — a fresh RUN_DIR and distinct free ports; nothing inherited
# from a caller (test.sh exports its own database URLs).
configure() {
  local var ports
  unset WRITE_DB_URL READ_DB_URL AMQP_URL BTC_PRICE_URL HOST PORT
  RUN_DIR=$(mktemp -d /tmp/buyorders-run.XXXXXX)
  chmod 755 "$RUN_DIR"
  export RUN_DIR
  mapfile -t ports < <(free_ports "${#PORT_VARS[@]}")
  for var in "${PORT_VARS[@]}"; do
    export "$var=${ports[0]}"
    ports=("${ports[@]:1}")
  done
  # No internet in tests: the simulated source, named explicitly.
  export PRICE_SOURCE=simulated
  unset BUYORDERS_API_KEY
}

# start_cluster OUTPUT — ./run.sh start, its standard output into RUN_DIR/OUTPUT.
start_cluster() {
  log "./run.sh start (RUN_DIR $RUN_DIR)"
  STARTED=1
  timeout "$SMOKE_TIMEOUT" ./run.sh start >"$RUN_DIR/$1" || fail "./run.sh start"
  grep -q "curl/put_buy_order.sh" "$RUN_DIR/$1" || fail "run.sh start printed no curl examples"
  grep -qxF "  export BUYORDERS_API_KEY=$(<"$RUN_DIR/api-key")" "$RUN_DIR/$1" ||
    fail "run.sh start did not print the key of $RUN_DIR/api-key"
  grep -qF 'Authorization: Bearer $BUYORDERS_API_KEY' "$RUN_DIR/$1" || fail "run.sh's curl examples send no key"
}

# epmd_port — the port of the epmd the broker uses: its own, or else the machine-wide 4369.
epmd_port() {
  local port
  port=$(sed -n 's/^EPMD_PORT=//p' "$RUN_DIR/rabbitmq/env")
  echo "${port:-4369}"
}

# remember_processes — every pid the cluster runs as (the broker's epmd
# included), to check after the stop.
remember_processes() {
  local f epmd
  PROCESS_IDS=()
  for f in "$RUN_DIR"/pids/*.pid; do
    PROCESS_IDS+=("$(<"$f")")
  done
  PROCESS_IDS+=("$(head -n 1 "$RUN_DIR/postgres/data/postmaster.pid")")
  PROCESS_IDS+=("$(<"$RUN_DIR/rabbitmq/pid")")
  epmd=$(ss -Hltnp "sport = :$(epmd_port)" | grep -o 'pid=[0-9]*' | head -n 1 | cut -d = -f 2)
  [[ -n $epmd ]] || fail "no epmd listens on the broker's EPMD_PORT $(epmd_port)"
  PROCESS_IDS+=("$epmd")
  ((${#PROCESS_IDS[@]} == 7)) || fail "expected 7 processes, found ${#PROCESS_IDS[@]}"
}

# descendants PID... — the PIDs and all their children, one a line.
descendants() {
  local pid
  for pid in "$@"; do
    echo "$pid"
    # shellcheck disable=SC2046
    descendants $(ps -o pid= --ppid "$pid" 2>/dev/null)
  done
}

# check_loopback_only — every TCP listener of the cluster's processes (and their
# children) is on 127.0.0.1 or ::1; and each component is among them.
check_loopback_only() {
  local -A ours=()
  local pid line address pids listeners=0 outside=""
  for pid in $(descendants "${PROCESS_IDS[@]}"); do ours[$pid]=1; done
  # The broker's epmd is not its child: it detaches.
  while read -r line; do
    address=$(awk '{print $4}' <<<"$line")
    for pid in $(grep -o 'pid=[0-9]*' <<<"$line" | cut -d = -f 2); do
      [[ -n ${ours[$pid]:-} ]] || continue
      listeners=$((listeners + 1))
      [[ $address =~ ^(127\.0\.0\.1|\[::1\]):[0-9]+$ ]] || outside+=$'\n'"  $line"
      break
    done
  done < <(ss -Hltnp)
  [[ -z $outside ]] || fail "listening beyond loopback:$outside"
  # 4 services, PostgreSQL, AMQP, Erlang distribution, epmd.
  ((listeners >= 8)) || fail "only $listeners loopback listeners found for the cluster's processes: $(ss -Hltnp)"
  log "all $listeners listeners of the cluster are on loopback"
}

# check_secret_files — each password run.sh made, and the key, in a file of mode 600 (600 and 700
# for the directory of the passwords); one password per database role and broker user.
check_secret_files() {
  local f count=0
  [[ $(stat -c %a "$RUN_DIR/secrets") == 700 ]] || fail "$RUN_DIR/secrets is not mode 700"
  for f in "$RUN_DIR"/secrets/* "$RUN_DIR/api-key"; do
    [[ $(stat -c %a "$f") == 600 ]] || fail "$f is mode $(stat -c %a "$f"), not 600"
    [[ -s $f ]] || fail "$f is empty"
    count=$((count + 1))
  done
  # buyorders, create_buy_order, fetch_buy_orders, read_model_sync; two broker users; the key.
  ((count == 7)) || fail "expected 6 passwords and the key, found $count files"
  log "the passwords and the key are files of mode 600"
}

# check_unauthenticated — without a key, both APIs answer 401 with a Bearer challenge.
check_unauthenticated() {
  local put get
  put=$(curl -sS --max-time 5 -i -X PUT "http://127.0.0.1:$CREATE_BUY_ORDER_PORT/buy_order" \
    -H 'Content-Type: application/json' \
    -d '{"currency":"USD","amount":"1.00","idempotence_key":"'"$(cat /proc/sys/kernel/random/uuid)"'"}') ||
    fail "PUT /buy_order without a key did not answer"
  get=$(curl -sS --max-time 5 -i "http://127.0.0.1:$FETCH_BUY_ORDERS_PORT/buy_orders") ||
    fail "GET /buy_orders without a key did not answer"
  expect_unauthorized "PUT /buy_order" "$put"
  expect_unauthorized "GET /buy_orders" "$get"
  log "without a key: 401 with WWW-Authenticate: Bearer at both APIs"
}

# expect_unauthorized WHAT ANSWER — ANSWER (with its head) is a 401 with a Bearer challenge.
expect_unauthorized() {
  local answer
  answer=$(tr -d '\r' <<<"$2")
  [[ $(head -n 1 <<<"$answer") == "HTTP/1.1 401 Unauthorized" ]] || fail "$1 without a key: $answer"
  grep -qi '^WWW-Authenticate: Bearer' <<<"$answer" || fail "$1 without a key has no Bearer challenge: $answer"
}

# check_no_broker_guest — run.sh's broker has no guest.
check_no_broker_guest() {
  ! scripts/rabbitmq.sh ctl "$RUN_DIR/rabbitmq" -q list_users --no-table-headers | cut -f 1 | grep -qxF guest ||
    fail "the broker still has the user guest"
}

# check_no_secret — no password in any file of RUN_DIR but its own, in an answer of /ready or
# /metrics, or on the command line of a process; the key neither, except where run.sh prints it.
check_no_secret() {
  local var url f found secret_part
  local -a passwords=()
  for f in "$RUN_DIR"/secrets/*; do passwords+=("$(<"$f")"); done
  secret_part=$(<"$RUN_DIR/api-key")
  secret_part=${secret_part#bo_*_}
  printf '%s\n' "${passwords[@]}" "$secret_part" >"$RUN_DIR/secret-patterns"
  chmod 600 "$RUN_DIR/secret-patterns"
  for var in CREATE_BUY_ORDER_PORT FETCH_BUY_ORDERS_PORT BTC_PRICE_PORT READ_MODEL_SYNC_PORT; do
    for url in "http://127.0.0.1:${!var}/ready" "http://127.0.0.1:${!var}/metrics"; do
      curl -sS --max-time 5 "$url" >"$RUN_DIR/answer.txt" || fail "$url did not answer"
      ! grep -qF -f "$RUN_DIR/secret-patterns" "$RUN_DIR/answer.txt" || fail "$url shows a password or the key"
    done
  done
  ! ps -eww -o args= | grep -F -f "$RUN_DIR/secret-patterns" >/dev/null || fail "a password or the key is on a command line"
  # Data files included: PostgreSQL and RabbitMQ keep hashes of the passwords, the write model the
  # SHA-256 of the key's secret, never the text.
  found=$(grep -rlF -f "$RUN_DIR/secret-patterns" "$RUN_DIR" --exclude-dir=secrets --exclude=secret-patterns \
    --exclude=api-key --exclude='start*.out' || true)
  [[ -z $found ]] || fail "a password or the key appears in: $found"
  found=$(grep -lF -f <(printf '%s\n' "${passwords[@]}") "$RUN_DIR"/start*.out || true)
  [[ -z $found ]] || fail "run.sh printed a password: $found"
  grep -q 'postgresql://buyorders:\*\*\*@' "$RUN_DIR/start.out" || fail "run.sh start does not show the database URLs redacted"
  grep -q 'amqp://create_buy_order:\*\*\*@' "$RUN_DIR/start.out" || fail "run.sh start does not show the broker URLs redacted"
  check_no_broker_guest
  log "no password or key in a log, an answer or a command line; no guest on the broker"
}

# order_id JSON — the id of the buy_order in a PUT answer.
order_id() {
  grep -o '"id":"[0-9a-f-]*"' <<<"$1" | head -n 1 | cut -d '"' -f 4
}

# row_ids JSON — the ids of a page's rows, one a line, in order.
row_ids() {
  grep -o '"id":"[0-9a-f-]*"' <<<"$1" | cut -d '"' -f 4
}

# last_reference JSON — the page's last_reference, or "null".
last_reference() {
  grep -o '"last_reference":\("[0-9a-f-]*"\|null\)' <<<"$1" | cut -d ':' -f 2 | tr -d '"'
}

# await_projection ID... — wait (bounded) until every ID is in the read model.
await_projection() {
  local deadline=$((SECONDS + PROJECTION_TIMEOUT)) page id missing
  while :; do
    page=$(curl/get_buy_orders.sh 100) || fail "curl/get_buy_orders.sh 100"
    missing=""
    for id in "$@"; do
      grep -q "\"$id\"" <<<"$page" || missing+=" $id"
    done
    [[ -n $missing ]] || return 0
    ((SECONDS < deadline)) || fail "orders not in the read model after ${PROJECTION_TIMEOUT}s:$missing"
    sleep 0.5
  done
}

exercise_curl_scripts() {
  local answer first second page
  # The curl scripts find the key in RUN_DIR/api-key.
  answer=$(curl/put_buy_order.sh USD 123.45) || fail "curl/put_buy_order.sh USD 123.45: $answer"
  first=$(order_id "$answer")
  [[ -n $first ]] || fail "no order id in: $answer"
  answer=$(curl/put_buy_order.sh EUR 50) || fail "curl/put_buy_order.sh EUR 50: $answer"
  second=$(order_id "$answer")
  [[ -n $second ]] || fail "no order id in: $answer"
  log "created orders $first and $second"
  await_projection "$first" "$second"

  page=$(curl/get_buy_orders.sh 1) || fail "curl/get_buy_orders.sh 1: $page"
  [[ $(row_ids "$page") == "$second" ]] || fail "first page is not the newest order: $page"
  [[ $(last_reference "$page") == "$second" ]] || fail "first page's last_reference: $page"
  page=$(curl/get_buy_orders_pass_last_ref.sh "$second" 1) ||
    fail "curl/get_buy_orders_pass_last_ref.sh $second 1: $page"
  [[ $(row_ids "$page") == "$first" ]] || fail "second page is not the older order: $page"
  [[ $(last_reference "$page") == null ]] || fail "last page's last_reference is not null: $page"
  FIRST_ORDER=$first
  SECOND_ORDER=$second
  log "paged through both orders"
}

# check_key_kept KEY — a second start kept KEY (and made no other), and it still pages through both orders.
check_key_kept() {
  local keys page
  [[ $(<"$RUN_DIR/api-key") == "$1" ]] || fail "the second start changed $RUN_DIR/api-key"
  keys=$(./run.sh admin key list demo) || fail "./run.sh admin key list demo: $keys"
  (($(tail -n +2 <<<"$keys" | wc -l) == 1)) || fail "the client demo has other keys than the first: $keys"
  page=$(curl/get_buy_orders.sh 10) || fail "curl/get_buy_orders.sh 10 after the second start: $page"
  [[ $(row_ids "$page" | tr '\n' ' ') == "$SECOND_ORDER $FIRST_ORDER " ]] || fail "after the second start: $page"
  log "the second start kept the key, and it still works"
}

check_status() {
  ./run.sh status >"$RUN_DIR/status.out" || fail "./run.sh status (exit $?): $(cat "$RUN_DIR/status.out")"
  cat "$RUN_DIR/status.out" >&2
}

stop_cluster() {
  timeout 120 ./run.sh stop || fail "./run.sh stop"
  STARTED=0
}

# is_alive PID — true while PID runs; a zombie (exited, not yet reaped by
# init) does not count.
is_alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# check_nothing_left — no process alive, no port listening.
check_nothing_left() {
  local pid var
  for pid in "${PROCESS_IDS[@]}"; do
    ! is_alive "$pid" || fail "pid $pid still alive after ./run.sh stop: $(ps -o args= -p "$pid")"
  done
  for var in "${PORT_VARS[@]}"; do
    ! port_in_use "${!var}" || fail "$var ${!var} still listening after ./run.sh stop"
  done
  ! port_in_use "$(epmd_port)" || fail "the broker's epmd (port $(epmd_port)) still listening after ./run.sh stop"
}

main() {
  local key
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  configure
  start_cluster start.out
  remember_processes
  check_loopback_only
  check_secret_files
  check_unauthenticated
  exercise_curl_scripts
  check_status
  check_no_secret
  stop_cluster
  check_nothing_left
  key=$(<"$RUN_DIR/api-key")
  start_cluster start2.out
  remember_processes
  check_key_kept "$key"
  check_no_secret
  stop_cluster
  check_nothing_left
  log "run.sh smoke test passed"
}

main "$@"

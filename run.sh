#!/usr/bin/env bash
# The whole cluster on this machine, no container engine: PostgreSQL (both
# databases), RabbitMQ, migrations and the four services.
#   ./run.sh          start, then stay in the foreground; Ctrl-C or SIGTERM stops everything
#   ./run.sh start    start detached; returns once every service answers /ready
#   ./run.sh stop     stop everything started from RUN_DIR
#   ./run.sh status   each component: running or stopped, address, /ready (exit 3 unless all ready)
# State (databases, logs, pids) lives in RUN_DIR (default .run/ in the repo).
# Every variable listed in .env.example overrides its default (ports, URLs,
# PRICE_*, LOG_LEVEL, READY_TIMEOUT, STOP_TIMEOUT, BUILD_CONFIGURATION).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
RUN_DIR=$(abs_path "${RUN_DIR:-$ROOT/.run}")
cd "$ROOT"

# Start order; they stop all at once.
SERVICES=(btc-price read-model-sync fetch-buy-orders create-buy-order)
declare -A DEFAULT_PORT=(
  [create-buy-order]=8777 [fetch-buy-orders]=8778 [btc-price]=8779 [read-model-sync]=8780
)
PORT_VARS=(POSTGRES_PORT RABBITMQ_PORT CREATE_BUY_ORDER_PORT FETCH_BUY_ORDERS_PORT BTC_PRICE_PORT
  READ_MODEL_SYNC_PORT)
READY_TIMEOUT=${READY_TIMEOUT:-60}
STOP_TIMEOUT=${STOP_TIMEOUT:-15}
BUILD_CONFIGURATION=${BUILD_CONFIGURATION:-release}
PIDS=$RUN_DIR/pids
LOGS=$RUN_DIR/logs
# 1 while a start is under way: a failure then stops everything.
STARTING=0
STOP_REQUESTED=0

usage() {
  echo "usage: $0 [start|stop|status]" >&2
  exit 2
}

# MARK: configuration

# port_var SERVICE — the variable naming its port: create-buy-order -> CREATE_BUY_ORDER_PORT.
port_var() {
  local name=${1//-/_}
  echo "${name^^}_PORT"
}

# require_port VAR — die unless VAR holds a TCP port.
require_port() {
  if [[ ! ${!1} =~ ^[1-9][0-9]{0,4}$ ]] || ((${!1} > 65535)); then
    die "$1 must be a TCP port from 1 to 65535, got '${!1}'"
  fi
}

# configure — ports, URLs and paths from the environment, with their defaults.
configure() {
  local svc var
  POSTGRES_PORT=${POSTGRES_PORT:-5432}
  RABBITMQ_PORT=${RABBITMQ_PORT:-5672}
  for svc in "${SERVICES[@]}"; do
    var=$(port_var "$svc")
    printf -v "$var" '%s' "${!var:-${DEFAULT_PORT[$svc]}}"
  done
  for var in "${PORT_VARS[@]}"; do
    require_port "$var"
  done
  [[ $BUILD_CONFIGURATION == release || $BUILD_CONFIGURATION == debug ]] ||
    die "BUILD_CONFIGURATION must be release or debug, got '$BUILD_CONFIGURATION'"
  BIN=$ROOT/.build/$BUILD_CONFIGURATION
  export WRITE_DB_URL=${WRITE_DB_URL:-postgresql://postgres@127.0.0.1:$POSTGRES_PORT/write_model}
  export READ_DB_URL=${READ_DB_URL:-postgresql://postgres@127.0.0.1:$POSTGRES_PORT/read_model}
  export AMQP_URL=${AMQP_URL:-amqp://guest:guest@127.0.0.1:$RABBITMQ_PORT/%2f}
  export BTC_PRICE_URL=${BTC_PRICE_URL:-http://127.0.0.1:$BTC_PRICE_PORT}
}

# url_host — where the services are reached: HOST, or loopback for a wildcard.
url_host() {
  case ${HOST:-} in
    "" | 0.0.0.0 | :: | "[::]") echo 127.0.0.1 ;;
    *:*) echo "[$HOST]" ;;
    *) echo "$HOST" ;;
  esac
}

# check_distinct_ports — two components on one port cannot both start.
check_distinct_ports() {
  local -A seen=()
  local var
  for var in "${PORT_VARS[@]}"; do
    [[ -z ${seen[${!var}]:-} ]] || die "$var and ${seen[${!var}]} are both ${!var}: give each its own port"
    seen[${!var}]=$var
  done
}

# MARK: components

# start_time PID — when PID started (clock ticks since boot, /proc/PID/stat field 22); false if gone.
# The kernel reuses pids (pid_max is often 32768), so a pid alone may name another process later.
start_time() {
  local stat
  local -a fields
  stat=$(<"/proc/$1/stat") 2>/dev/null || return 1
  stat=${stat##*) }
  # After "pid (comm) ", the fields start at field 3: the start time is the 20th of them.
  read -r -a fields <<<"$stat"
  echo "${fields[19]}"
}

# is_service PID SERVICE [START] — true while PID is alive, runs SERVICE's binary and (given START)
# is the very process started then (a reused pid or a zombie does not count).
is_service() {
  local argv0
  argv0=$({ tr '\0' '\n' <"/proc/$1/cmdline"; } 2>/dev/null | head -n 1) || return 1
  [[ $argv0 == */"$2" ]] || return 1
  [[ -z ${3:-} ]] || [[ $(start_time "$1") == "$3" ]]
}

# service_pid SERVICE — the pid of the running service (false if none). The pid file holds the pid
# and its start time.
service_pid() {
  local pid started
  [[ -f $PIDS/$1.pid ]] || return 1
  read -r pid started <"$PIDS/$1.pid" || true
  [[ $pid =~ ^[0-9]+$ && $started =~ ^[0-9]+$ ]] && is_service "$pid" "$1" "$started" || return 1
  echo "$pid"
}

# service_url SERVICE — its base URL as recorded at start (else as configured now).
service_url() {
  if [[ -f $PIDS/$1.url ]]; then
    cat "$PIDS/$1.url"
  else
    local var
    var=$(port_var "$1")
    echo "http://$(url_host):${!var:-${DEFAULT_PORT[$1]}}"
  fi
}

# ready_answer SERVICE — print "CODE BODY" of GET /ready; true on 200.
ready_answer() {
  local answer code
  answer=$(curl -sS --max-time 2 -w '\n%{http_code}' "$(service_url "$1")/ready" 2>&1) || true
  code=${answer##*$'\n'}
  printf '%s %s\n' "$code" "$(printf '%s' "${answer%$'\n'*}" | tr -d '\n')"
  [[ $code == 200 ]]
}

postgres_running() {
  scripts/postgres.sh status "$RUN_DIR/postgres" >/dev/null 2>&1
}

rabbitmq_running() {
  scripts/rabbitmq.sh status "$RUN_DIR/rabbitmq" >/dev/null 2>&1
}

# recorded_port COMPONENT — the port a server in RUN_DIR was last started on.
recorded_port() {
  case $1 in
    postgres) cat "$RUN_DIR/postgres/port" 2>/dev/null ;;
    rabbitmq) sed -n 's/^PORT=//p' "$RUN_DIR/rabbitmq/env" 2>/dev/null ;;
    *) local url
      url=$(service_url "$1")
      echo "${url##*:}" ;;
  esac
}

# port_free_for NAME PORT VAR — die unless PORT is free for NAME to listen on.
port_free_for() {
  ! port_in_use "$2" ||
    die "port $2 for $1 is already in use by another process (free it, or set $3 to another port)"
}

# same_port_as_running NAME PORT VAR — a running component keeps its port: a
# different one asked for now needs a stop first.
same_port_as_running() {
  local running
  running=$(recorded_port "$1")
  [[ $running == "$2" ]] ||
    die "$1 is already running from $RUN_DIR on port $running, not $3=$2: run '$0 stop' first"
}

# check_ports — before anything starts: each port free, or held by our own component.
check_ports() {
  local svc var
  check_distinct_ports
  if postgres_running; then
    same_port_as_running postgres "$POSTGRES_PORT" POSTGRES_PORT
  else
    port_free_for postgres "$POSTGRES_PORT" POSTGRES_PORT
  fi
  if rabbitmq_running; then
    same_port_as_running rabbitmq "$RABBITMQ_PORT" RABBITMQ_PORT
  else
    port_free_for rabbitmq "$RABBITMQ_PORT" RABBITMQ_PORT
  fi
  for svc in "${SERVICES[@]}"; do
    var=$(port_var "$svc")
    if service_pid "$svc" >/dev/null; then
      same_port_as_running "$svc" "${!var}" "$var"
    else
      port_free_for "$svc" "${!var}" "$var"
    fi
  done
}

# MARK: start

prepare_run_dir() {
  mkdir -p "$RUN_DIR" "$PIDS" "$LOGS"
  # PostgreSQL runs as user postgres and must traverse RUN_DIR.
  chmod o+x "$RUN_DIR"
}

# build — compile every product; SwiftPM rebuilds only what changed.
build() {
  local log=$LOGS/build.log svc
  command -v swift >/dev/null || die "swift not found on PATH (install the Swift toolchain)"
  log "swift build -c $BUILD_CONFIGURATION (log: $log)"
  if [[ -t 2 ]]; then
    swift build -c "$BUILD_CONFIGURATION" 2>&1 | tee "$log" >&2 || die "build failed (log: $log)"
  elif ! swift build -c "$BUILD_CONFIGURATION" >"$log" 2>&1; then
    grep -E 'error:' "$log" | head -n 30 >&2 || tail -n 30 "$log" >&2
    die "build failed (log: $log)"
  fi
  for svc in "${SERVICES[@]}" migrate; do
    [[ -x $BIN/$svc ]] || die "the build did not produce $BIN/$svc"
  done
}

start_postgres() {
  if postgres_running; then
    log "postgres already running from $RUN_DIR/postgres"
  else
    port_free_for postgres "$POSTGRES_PORT" POSTGRES_PORT
  fi
  scripts/postgres.sh start "$RUN_DIR/postgres" "$POSTGRES_PORT" || die "PostgreSQL failed to start (log above)"
}

start_rabbitmq() {
  if rabbitmq_running; then
    log "rabbitmq already running from $RUN_DIR/rabbitmq"
    return 0
  fi
  port_free_for rabbitmq "$RABBITMQ_PORT" RABBITMQ_PORT
  scripts/rabbitmq.sh start "$RUN_DIR/rabbitmq" "$RABBITMQ_PORT" || die "RabbitMQ failed to start (log above)"
}

migrate() {
  local log=$LOGS/migrate.log
  if ! "$BIN/migrate" apply --migrations-dir "$ROOT/migrations" >>"$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "migrate apply failed (log: $log)"
  fi
  grep -E '^(write|read)_model: ' "$log" | tail -n 2 | while read -r line; do log "migrate: $line"; done || true
}

# simulated_banner [REASON] — say loudly that prices are not real.
simulated_banner() {
  {
    echo
    echo "  ####################################################################"
    echo "  #"
    echo "  #   PRICE_SOURCE=simulated"
    echo "  #   btc-price serves a SIMULATED random walk, NOT market prices."
    [[ -z ${1:-} ]] || echo "  #   ($1)"
    echo "  #"
    echo "  ####################################################################"
    echo
  } >&2
}

# choose_price_source — PRICE_SOURCE as given; unset, coinbase if reachable, else simulated.
choose_price_source() {
  local probe
  if [[ -z ${PRICE_SOURCE:-} ]]; then
    probe=${PRICE_SOURCE_URL:-https://api.coinbase.com/v2/prices}
    probe=${probe%/}/BTC-USD/buy
    if curl -fsS --max-time 3 -o /dev/null "$probe" 2>/dev/null; then
      export PRICE_SOURCE=coinbase
    else
      export PRICE_SOURCE=simulated
      simulated_banner "$probe did not answer within 3 s; PRICE_SOURCE=coinbase insists on it"
    fi
  fi
  echo "$PRICE_SOURCE" >"$RUN_DIR/price_source"
}

# start_service SERVICE — launch it in its own session, logs appended to LOGS/SERVICE.log.
start_service() {
  local svc=$1 var port
  var=$(port_var "$svc")
  port=${!var}
  if service_pid "$svc" >/dev/null; then
    log "$svc already running on port $port"
    return 0
  fi
  [[ $svc != btc-price ]] || choose_price_source
  port_free_for "$svc" "$port" "$var"
  echo "http://$(url_host):$port" >"$PIDS/$svc.url"
  PORT=$port setsid "$BIN/$svc" </dev/null >>"$LOGS/$svc.log" 2>&1 &
  echo "$! $(start_time "$!")" >"$PIDS/$svc.pid"
  log "$svc started (pid $!, port $port, log $LOGS/$svc.log)"
}

# service_failed SERVICE REASON — report why, with its last /ready answer and log tail.
service_failed() {
  log "$1: $2"
  log "last /ready answer: $(ready_answer "$1" || true)"
  log "tail of $LOGS/$1.log:"
  tail -n 20 "$LOGS/$1.log" >&2 2>/dev/null || true
}

# await_ready — wait (bounded by READY_TIMEOUT) until every service answers /ready with 200.
await_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT)) svc failed=0
  local -a pending=("${SERVICES[@]}") waiting
  log "waiting up to ${READY_TIMEOUT}s for ${pending[*]} to be ready"
  while ((${#pending[@]} > 0)); do
    waiting=()
    for svc in "${pending[@]}"; do
      if ! service_pid "$svc" >/dev/null; then
        service_failed "$svc" "exited during start-up"
        failed=1
      elif ! ready_answer "$svc" >/dev/null; then
        waiting+=("$svc")
      fi
    done
    ((failed == 0)) || die "a service failed to start"
    pending=("${waiting[@]}")
    ((${#pending[@]} > 0)) || break
    if ((SECONDS >= deadline)); then
      for svc in "${pending[@]}"; do
        service_failed "$svc" "not ready after ${READY_TIMEOUT}s"
      done
      die "not ready after ${READY_TIMEOUT}s: ${pending[*]}"
    fi
    sleep 0.5
  done
}

# start_all — everything, in dependency order; on failure the EXIT trap stops it all.
start_all() {
  local svc
  configure
  check_ports
  STARTING=1
  ensure_packages
  prepare_run_dir
  build
  start_postgres
  start_rabbitmq
  migrate
  for svc in "${SERVICES[@]}"; do
    start_service "$svc"
  done
  await_ready
  STARTING=0
}

# MARK: stop

# stop_services — SIGTERM to all, wait STOP_TIMEOUT, then SIGKILL what is left.
# Pid files go first, so a foreground run.sh sees a stop, not a crash.
stop_services() {
  local svc pid started deadline=$((SECONDS + STOP_TIMEOUT))
  local -A stopping=()
  for svc in "${SERVICES[@]}"; do
    pid=$(service_pid "$svc") || pid=""
    rm -f "$PIDS/$svc.pid" "$PIDS/$svc.url"
    [[ -n $pid ]] || continue
    stopping[$svc]="$pid $(start_time "$pid")"
    kill -TERM "$pid" 2>/dev/null || true
  done
  for svc in "${!stopping[@]}"; do
    read -r pid started <<<"${stopping[$svc]}"
    while is_service "$pid" "$svc" "$started" && ((SECONDS < deadline)); do
      sleep 0.2
    done
    if is_service "$pid" "$svc" "$started"; then
      log "$svc (pid $pid) did not stop within ${STOP_TIMEOUT}s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "$svc stopped"
  done
}

stop_all() {
  [[ -d $RUN_DIR ]] || return 0
  stop_services
  scripts/rabbitmq.sh stop "$RUN_DIR/rabbitmq" || log "rabbitmq did not stop cleanly"
  scripts/postgres.sh stop "$RUN_DIR/postgres" || log "postgres did not stop cleanly"
}

# on_exit — a start that failed or was interrupted leaves nothing running.
on_exit() {
  local rc=$?
  trap - EXIT
  if ((STARTING)); then
    log "start did not complete: stopping everything"
    stop_all || true
    ((rc != 0)) || rc=1
  fi
  exit "$rc"
}

# MARK: commands

# redact_url URL — URL with the password of its user info and any password= parameter as ***.
redact_url() {
  sed -E -e 's#^([a-zA-Z][a-zA-Z0-9+.-]*://[^:@/]*:).*@#\1***@#' -e 's#([?&]password=)[^&#]*#\1***#gI' <<<"$1"
}

print_summary() {
  local host put_env="" fetch_env="" source
  host=$(url_host)
  source=$(cat "$RUN_DIR/price_source" 2>/dev/null || echo "${PRICE_SOURCE:-coinbase}")
  [[ $CREATE_BUY_ORDER_PORT == 8777 ]] || put_env="CREATE_BUY_ORDER_PORT=$CREATE_BUY_ORDER_PORT "
  [[ $FETCH_BUY_ORDERS_PORT == 8778 ]] || fetch_env="FETCH_BUY_ORDERS_PORT=$FETCH_BUY_ORDERS_PORT "
  [[ $source != simulated ]] || simulated_banner
  echo "BuyOrders is running (state and logs in $RUN_DIR):"
  printf '  %-17s %-24s %s\n' \
    create-buy-order "http://$host:$CREATE_BUY_ORDER_PORT" "PUT /buy_order" \
    fetch-buy-orders "http://$host:$FETCH_BUY_ORDERS_PORT" "GET /buy_orders, GET /buy_orders/{id}" \
    btc-price "http://$host:$BTC_PRICE_PORT" "GET /v1/price?currency=USD  (source: $source)" \
    read-model-sync "http://$host:$READ_MODEL_SYNC_PORT" "" \
    "every service" "GET /health, /ready, /metrics" "" \
    PostgreSQL "$(redact_url "$WRITE_DB_URL")" "" \
    "" "$(redact_url "$READ_DB_URL")" "" \
    RabbitMQ "$(redact_url "$AMQP_URL")" "" | sed 's/ *$//'
  cat <<EOF

Try:
  curl -sS -w '\n' -X PUT http://$host:$CREATE_BUY_ORDER_PORT/buy_order -H 'Content-Type: application/json' \\
    -d '{"currency":"USD","amount":"123.45","idempotence_key":"'"\$(cat /proc/sys/kernel/random/uuid)"'"}'
  curl -sS -w '\n' 'http://$host:$FETCH_BUY_ORDERS_PORT/buy_orders?page_size=10'
  curl -sS -w '\n' 'http://$host:$FETCH_BUY_ORDERS_PORT/buy_orders?page_size=10&last_reference=<last_reference>'
  curl -sS -w '\n' 'http://$host:$BTC_PRICE_PORT/v1/price?currency=EUR'
or the same through curl/:
  ${put_env}curl/put_buy_order.sh EUR 50
  ${fetch_env}curl/get_buy_orders.sh 5
  ${fetch_env}curl/get_buy_orders_pass_last_ref.sh <last_reference> 5
EOF
}

# watch_services — 0 while every service runs; 1 when one died (reported);
# 2 when they were stopped from outside (`./run.sh stop` removes the pid files).
watch_services() {
  local svc
  for svc in "${SERVICES[@]}"; do
    service_pid "$svc" >/dev/null && continue
    if [[ -f $PIDS/$svc.pid ]]; then
      service_failed "$svc" "exited unexpectedly"
      return 1
    fi
    return 2
  done
}

# cmd_foreground — start, then wait for Ctrl-C or SIGTERM (or a service's
# death: then the rest stops too, with exit 1).
cmd_foreground() {
  local rc=0 sleeper
  start_all
  print_summary
  echo "Running in the foreground: Ctrl-C stops everything."
  trap 'STOP_REQUESTED=1' INT TERM
  while ((STOP_REQUESTED == 0)); do
    sleep 1 &
    sleeper=$!
    wait "$sleeper" || kill "$sleeper" 2>/dev/null || true
    watch_services || rc=$?
    ((rc == 0)) || break
  done
  if ((rc == 2)); then
    log "stopped from outside"
    return 0
  fi
  log "stopping"
  stop_all
  return "$rc"
}

cmd_start() {
  start_all
  print_summary
  echo "Stop with: $0 stop"
}

cmd_stop() {
  if [[ ! -d $RUN_DIR ]]; then
    log "nothing to stop: $RUN_DIR does not exist"
    return 0
  fi
  stop_all
}

# status_line NAME STATE ADDRESS DETAIL
status_line() {
  printf '%-17s %-8s %-22s %s\n' "$@"
}

# cmd_status — one line per component; exit 3 unless everything runs and is ready.
cmd_status() {
  local rc=0 svc pid answer port
  status_line component state address detail
  port=$(recorded_port postgres) || true
  if postgres_running; then
    status_line postgres running "127.0.0.1:$port" "databases write_model, read_model"
  else
    status_line postgres stopped "127.0.0.1:${port:-${POSTGRES_PORT:-5432}}" ""
    rc=3
  fi
  port=$(recorded_port rabbitmq) || true
  if rabbitmq_running; then
    status_line rabbitmq running "127.0.0.1:$port" "node $(scripts/rabbitmq.sh node "$RUN_DIR/rabbitmq")"
  else
    status_line rabbitmq stopped "127.0.0.1:${port:-${RABBITMQ_PORT:-5672}}" ""
    rc=3
  fi
  for svc in "${SERVICES[@]}"; do
    if pid=$(service_pid "$svc"); then
      answer=$(ready_answer "$svc") || rc=3
      status_line "$svc" running "$(service_url "$svc" | sed 's|^http://||')" "pid $pid, /ready $answer"
    else
      status_line "$svc" stopped "$(service_url "$svc" | sed 's|^http://||')" ""
      rc=3
    fi
  done
  if [[ -f $RUN_DIR/price_source ]] && pid=$(service_pid btc-price); then
    echo "btc-price source: $(<"$RUN_DIR/price_source")"
  fi
  return "$rc"
}

main() {
  (($# <= 1)) || usage
  [[ $READY_TIMEOUT =~ ^[1-9][0-9]{0,4}$ ]] || die "READY_TIMEOUT must be a number of seconds, got '$READY_TIMEOUT'"
  [[ $STOP_TIMEOUT =~ ^[1-9][0-9]{0,4}$ ]] || die "STOP_TIMEOUT must be a number of seconds, got '$STOP_TIMEOUT'"
  case ${1:-run} in
    run | start)
      trap on_exit EXIT
      trap 'exit 130' INT
      trap 'exit 143' TERM
      if [[ ${1:-run} == run ]]; then cmd_foreground; else cmd_start; fi
      ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    -h | --help | help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) usage ;;
  esac
}

main "$@"

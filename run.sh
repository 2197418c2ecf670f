#!/usr/bin/env bash
# The whole cluster on this machine, no container engine: PostgreSQL (both
# databases), RabbitMQ, migrations and the four services.
#   ./run.sh          start, then stay in the foreground; Ctrl-C or SIGTERM stops everything
#   ./run.sh start    start detached; returns once every service answers /ready
#   ./run.sh stop     stop everything started from RUN_DIR
#   ./run.sh status   each component: running or stopped, address, /ready (exit 3 unless all ready)
#   ./run.sh admin ARGS...            buyorders-admin ARGS against the running cluster, as the owner
#   ./run.sh read-model-sync ARGS...  read-model-sync verify | rebuild | dead-letters ..., as its role and user
# PROMETHEUS=1 also starts a Prometheus (Debian's) on 127.0.0.1:PROMETHEUS_PORT (9090) that scrapes
# every service every PROMETHEUS_INTERVAL_S (15) seconds and evaluates PROMETHEUS_RULES (default
# deploy/prometheus/buyorders-alerts.yml) as often; `./run.sh stop` stops it with the rest.
# State (databases, logs, pids) lives in RUN_DIR (default .run/ in the repo); the passwords it
# makes for the database roles and broker users in RUN_DIR/secrets/, the key of the client demo
# in RUN_DIR/api-key (mode 600, made on the first start, kept afterwards).
# Every variable listed in .env.example overrides its default (ports, URLs,
# PRICE_*, LOG_LEVEL, READY_TIMEOUT, STOP_TIMEOUT, BUILD_CONFIGURATION). WRITE_DB_URL, READ_DB_URL
# and AMQP_URL, when set, are used as they are by every component that reads them.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
RUN_DIR=$(abs_path "${RUN_DIR:-$ROOT/.run}")
cd "$ROOT"

# Start order; they stop all at once.
SERVICES=(btc-price read-model-sync fetch-buy-orders create-buy-order)
declare -A DEFAULT_PORT=(
  [create-buy-order]=8777 [fetch-buy-orders]=8778 [btc-price]=8779 [read-model-sync]=8780 [prometheus]=9090
)
PORT_VARS=(POSTGRES_PORT RABBITMQ_PORT CREATE_BUY_ORDER_PORT FETCH_BUY_ORDERS_PORT BTC_PRICE_PORT
  READ_MODEL_SYNC_PORT)
READY_TIMEOUT=${READY_TIMEOUT:-60}
PROMETHEUS=${PROMETHEUS:-0}
PROMETHEUS_INTERVAL_S=${PROMETHEUS_INTERVAL_S:-15}
STOP_TIMEOUT=${STOP_TIMEOUT:-15}
BUILD_CONFIGURATION=${BUILD_CONFIGURATION:-release}
PIDS=$RUN_DIR/pids
LOGS=$RUN_DIR/logs
SECRETS=$RUN_DIR/secrets
API_KEY_FILE=$RUN_DIR/api-key
# The client run.sh makes on its first start, with a key of both scopes.
DEMO_CLIENT=demo
# 1 while a start is under way: a failure then stops everything.
STARTING=0
STOP_REQUESTED=0

usage() {
  echo "usage: $0 [start|stop|status] | $0 admin ARGS... | $0 read-model-sync ARGS..." >&2
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
  # Given URLs serve every component; otherwise each gets its own role and user (component_urls).
  GIVEN_WRITE_DB_URL=${WRITE_DB_URL:-}
  GIVEN_READ_DB_URL=${READ_DB_URL:-}
  GIVEN_AMQP_URL=${AMQP_URL:-}
  unset WRITE_DB_URL READ_DB_URL AMQP_URL
  export BTC_PRICE_URL=${BTC_PRICE_URL:-http://127.0.0.1:$BTC_PRICE_PORT}
  configure_prometheus
}

# configure_prometheus — PROMETHEUS (0 or 1) and, when it is 1, its port, interval and rules file.
configure_prometheus() {
  [[ $PROMETHEUS == 0 || $PROMETHEUS == 1 ]] || die "PROMETHEUS must be 0 or 1, got '$PROMETHEUS'"
  PROMETHEUS_PORT=${PROMETHEUS_PORT:-${DEFAULT_PORT[prometheus]}}
  PROMETHEUS_RULES=$(abs_path "${PROMETHEUS_RULES:-$ROOT/deploy/prometheus/buyorders-alerts.yml}")
  ((PROMETHEUS == 1)) || return 0
  PORT_VARS+=(PROMETHEUS_PORT)
  [[ $PROMETHEUS_INTERVAL_S =~ ^[1-9][0-9]{0,3}$ ]] ||
    die "PROMETHEUS_INTERVAL_S must be a number of seconds from 1 to 9999, got '$PROMETHEUS_INTERVAL_S'"
  [[ -r $PROMETHEUS_RULES ]] || die "PROMETHEUS_RULES: cannot read '$PROMETHEUS_RULES'"
}

# db_url ROLE DATABASE [PASSWORD] — run.sh's PostgreSQL as ROLE (its password unless given).
db_url() {
  echo "postgresql://$1:${3:-$(secret "$SECRETS/postgres-$1")}@127.0.0.1:$POSTGRES_PORT/$2"
}

# amqp_url USER [PASSWORD] — run.sh's RabbitMQ, vhost buyorders, as USER.
amqp_url() {
  echo "amqp://$1:${2:-$(secret "$SECRETS/rabbitmq-$1")}@127.0.0.1:$RABBITMQ_PORT/buyorders"
}

# component_urls COMPONENT [PASSWORD] — export the database and broker URLs COMPONENT reads, and no
# other: its own role and user (README, "Least privilege"), or the URLs given. The owner is migrate
# and buyorders-admin. With PASSWORD, every URL shows it instead (for print_summary).
component_urls() {
  local pw=${2:-}
  unset WRITE_DB_URL READ_DB_URL AMQP_URL
  case $1 in
    owner)
      export WRITE_DB_URL=${GIVEN_WRITE_DB_URL:-$(db_url buyorders write_model "$pw")}
      export READ_DB_URL=${GIVEN_READ_DB_URL:-$(db_url buyorders read_model "$pw")}
      ;;
    create-buy-order)
      export WRITE_DB_URL=${GIVEN_WRITE_DB_URL:-$(db_url create_buy_order write_model "$pw")}
      export AMQP_URL=${GIVEN_AMQP_URL:-$(amqp_url create_buy_order "$pw")}
      ;;
    fetch-buy-orders)
      export READ_DB_URL=${GIVEN_READ_DB_URL:-$(db_url fetch_buy_orders read_model "$pw")}
      ;;
    read-model-sync)
      export READ_DB_URL=${GIVEN_READ_DB_URL:-$(db_url read_model_sync read_model "$pw")}
      export AMQP_URL=${GIVEN_AMQP_URL:-$(amqp_url read_model_sync "$pw")}
      ;;
    read-model-sync-admin)
      # verify and rebuild also read the write model.
      component_urls read-model-sync "$pw"
      export WRITE_DB_URL=${GIVEN_WRITE_DB_URL:-$(db_url read_model_sync write_model "$pw")}
      ;;
    btc-price) ;;
    *) die "component_urls: unknown component $1" ;;
  esac
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
  local -a components=("${SERVICES[@]}")
  ((PROMETHEUS == 0)) || components+=(prometheus)
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
  for svc in "${components[@]}"; do
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
  mkdir -p "$RUN_DIR" "$PIDS" "$LOGS" "$SECRETS"
  # PostgreSQL runs as user postgres and must traverse RUN_DIR; nobody else reads the secrets.
  chmod o+x "$RUN_DIR"
  chmod 700 "$SECRETS"
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
  for svc in "${SERVICES[@]}" migrate buyorders-admin; do
    [[ -x $BIN/$svc ]] || die "the build did not produce $BIN/$svc"
  done
  # `./run.sh admin` runs the buyorders-admin of this build.
  echo "$BIN" >"$RUN_DIR/bin"

}

start_postgres() {
  if postgres_running; then
    log "postgres already running from $RUN_DIR/postgres"
  else
    port_free_for postgres "$POSTGRES_PORT" POSTGRES_PORT
  fi
  PG_AUTH=scram-sha-256 scripts/postgres.sh start "$RUN_DIR/postgres" "$POSTGRES_PORT" ||
    die "PostgreSQL failed to start (log above)"
  # The owner, the group roles and a login role per service, with the passwords in SECRETS.
  scripts/postgres.sh roles "$RUN_DIR/postgres" "$SECRETS" || die "the database roles could not be made (log above)"
}

start_rabbitmq() {
  if rabbitmq_running; then
    log "rabbitmq already running from $RUN_DIR/rabbitmq"
  else
    port_free_for rabbitmq "$RABBITMQ_PORT" RABBITMQ_PORT
    scripts/rabbitmq.sh start "$RUN_DIR/rabbitmq" "$RABBITMQ_PORT" || die "RabbitMQ failed to start (log above)"
  fi
  # The vhost buyorders and a user per service, with the passwords in SECRETS; no guest.
  scripts/rabbitmq.sh users "$RUN_DIR/rabbitmq" "$SECRETS" || die "the broker users could not be made (log above)"
}

migrate() {
  local log=$LOGS/migrate.log
  if ! (component_urls owner && exec "$BIN/migrate" apply --migrations-dir "$ROOT/migrations") >>"$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "migrate apply failed (log: $log)"
  fi
  grep -E '^(write|read)_model: ' "$log" | tail -n 2 | while read -r line; do log "migrate: $line"; done || true
}

# admin ARGS... — buyorders-admin ARGS as the owner; its stdout is ours, its stderr goes to LOGS/admin.log.
admin() {
  (component_urls owner && exec "$BIN/buyorders-admin" "$@") 2>>"$LOGS/admin.log"
}

# key_usable KEY — true when the write model knows KEY's id for the client demo, unrevoked.
key_usable() {
  local id=${1#bo_}
  id=${id%%_*}
  [[ $(admin key list "$DEMO_CLIENT" | awk -v id="$id" '$1 == id { print $4 }') == - ]]
}

# ensure_demo_key — on the first start, the client demo and a key with both scopes, kept in
# API_KEY_FILE (mode 600); later starts keep it while the write model still takes it.
ensure_demo_key() {
  local key
  if [[ -s $API_KEY_FILE ]]; then
    chmod 600 "$API_KEY_FILE"
    key=$(<"$API_KEY_FILE")
    if key_usable "$key"; then
      log "API key of the client $DEMO_CLIENT: $API_KEY_FILE (kept from an earlier start)"
      return 0
    fi
    log "the key in $API_KEY_FILE is unknown to the write model or revoked: making a new one"
  fi
  if ! admin client list | awk 'NR > 1 { print $1 }' | grep -xF "$DEMO_CLIENT" >/dev/null; then
    admin client create "$DEMO_CLIENT" >>"$LOGS/admin.log" || die "buyorders-admin client create $DEMO_CLIENT failed (log: $LOGS/admin.log)"
  fi
  # The key is shown once, alone on the last line: only into the file, never into a log.
  key=$(admin key create "$DEMO_CLIENT" --label run.sh | tail -n 1) ||
    die "buyorders-admin key create $DEMO_CLIENT failed (log: $LOGS/admin.log)"
  [[ $key == bo_* ]] || die "buyorders-admin key create printed no key (log: $LOGS/admin.log)"
  (umask 077 && printf '%s\n' "$key" >"$API_KEY_FILE.new" && mv "$API_KEY_FILE.new" "$API_KEY_FILE")
  log "made the client $DEMO_CLIENT and its API key (scopes orders:read, orders:write): $API_KEY_FILE"
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
  local svc=$1 var port pid tries
  var=$(port_var "$svc")
  port=${!var}
  if service_pid "$svc" >/dev/null; then
    log "$svc already running on port $port"
    return 0
  fi
  [[ $svc != btc-price ]] || choose_price_source
  port_free_for "$svc" "$port" "$var"
  echo "http://$(url_host):$port" >"$PIDS/$svc.url"
  # The URLs go into the environment of a subshell that then becomes the service (never into argv).
  (component_urls "$svc" && PORT=$port exec setsid "$BIN/$svc") </dev/null >>"$LOGS/$svc.log" 2>&1 &
  pid=$!
  for ((tries = 0; tries < 50; tries++)); do
    is_service "$pid" "$svc" && break
    sleep 0.1
  done
  echo "$pid $(start_time "$pid")" >"$PIDS/$svc.pid"
  log "$svc started (pid $pid, port $port, log $LOGS/$svc.log)"
}

# service_failed SERVICE REASON — report why, with its last /ready answer and log tail.
service_failed() {
  log "$1: $2"
  log "last /ready answer: $(ready_answer "$1" || true)"
  log "tail of $LOGS/$1.log:"
  tail -n 20 "$LOGS/$1.log" >&2 2>/dev/null || true
}

# await_ready [SERVICE...] — wait (bounded by READY_TIMEOUT) until each (default: every service)
# answers /ready with 200.
await_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT)) svc failed=0
  local -a pending=("${@:-${SERVICES[@]}}") waiting
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

# await_key_projected — wait (bounded by READY_TIMEOUT) until fetch-buy-orders takes the demo key:
# read-model-sync projects keys from the write model's outbox, so a new one arrives a moment later.
# The key travels to curl in a header file, never on a command line.
await_key_projected() {
  local deadline=$((SECONDS + READY_TIMEOUT)) code key
  key=$(<"$API_KEY_FILE")
  while :; do
    code=$(curl -sS --max-time 2 -o /dev/null -w '%{http_code}' \
      -H @<(printf 'Authorization: Bearer %s\n' "$key") "$(service_url fetch-buy-orders)/buy_orders?page_size=1" \
      2>/dev/null) || true
    [[ $code != 200 ]] || return 0
    ((SECONDS < deadline)) || die "fetch-buy-orders still refuses the key of $API_KEY_FILE after ${READY_TIMEOUT}s (HTTP $code)"
    sleep 0.2
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
  ensure_demo_key
  for svc in "${SERVICES[@]}"; do
    # Only read-model-sync's user may make the queue the relay publishes to (its dead-letter settings
    # take read on it): create-buy-order starts once read-model-sync consumes.
    [[ $svc != create-buy-order ]] || await_ready read-model-sync
    start_service "$svc"
  done
  await_ready
  await_key_projected
  ((PROMETHEUS == 0)) || start_prometheus
  STARTING=0
}

# MARK: prometheus

# write_prometheus_config FILE — scrape every service (job = its name, as the rules expect) and
# evaluate PROMETHEUS_RULES, both every PROMETHEUS_INTERVAL_S.
write_prometheus_config() {
  local svc var
  {
    cat <<EOF
# Written by run.sh on each start; edits are lost.
global:
  scrape_interval: ${PROMETHEUS_INTERVAL_S}s
  scrape_timeout: $((PROMETHEUS_INTERVAL_S < 10 ? PROMETHEUS_INTERVAL_S : 10))s
  evaluation_interval: ${PROMETHEUS_INTERVAL_S}s
rule_files:
  - "$PROMETHEUS_RULES"
scrape_configs:
EOF
    for svc in "${SERVICES[@]}"; do
      var=$(port_var "$svc")
      printf '  - job_name: %s\n    static_configs:\n      - targets: ["%s:%s"]\n' "$svc" "$(url_host)" "${!var}"
    done
  } >"$1.new"
  mv "$1.new" "$1"
}

# start_prometheus — Debian's prometheus with the config above, its data in RUN_DIR/prometheus; a
# running one reloads the config (SIGHUP). Waits (READY_TIMEOUT) for /-/ready.
start_prometheus() {
  local dir=$RUN_DIR/prometheus binary pid tries deadline=$((SECONDS + READY_TIMEOUT))
  binary=$(command -v prometheus) || die "prometheus not found on PATH (Debian package prometheus)"
  mkdir -p "$dir/data"
  write_prometheus_config "$dir/prometheus.yml"
  promtool check config "$dir/prometheus.yml" >>"$LOGS/prometheus.log" 2>&1 ||
    die "promtool check config $dir/prometheus.yml failed (log: $LOGS/prometheus.log)"
  if pid=$(service_pid prometheus); then
    kill -HUP "$pid"
    log "prometheus already running (pid $pid): configuration reloaded"
  else
    port_free_for prometheus "$PROMETHEUS_PORT" PROMETHEUS_PORT
    echo "http://127.0.0.1:$PROMETHEUS_PORT" >"$PIDS/prometheus.url"
    setsid "$binary" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
      --storage.tsdb.retention.time=2d --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" \
      </dev/null >>"$LOGS/prometheus.log" 2>&1 &
    pid=$!
    for ((tries = 0; tries < 50; tries++)); do
      is_service "$pid" prometheus && break
      sleep 0.1
    done
    echo "$pid $(start_time "$pid")" >"$PIDS/prometheus.pid"
    log "prometheus started (pid $pid, port $PROMETHEUS_PORT, rules $PROMETHEUS_RULES, log $LOGS/prometheus.log)"
  fi
  until [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$(service_url prometheus)/-/ready") == 200 ]]; do
    service_pid prometheus >/dev/null || { tail -n 20 "$LOGS/prometheus.log" >&2; die "prometheus exited during start-up"; }
    ((SECONDS < deadline)) || die "prometheus not ready after ${READY_TIMEOUT}s (log: $LOGS/prometheus.log)"
    sleep 0.5
  done
}

# MARK: stop

# stop_services [NAME...] — SIGTERM to all (default: every service), wait STOP_TIMEOUT, then SIGKILL
# what is left. Pid files go first, so a foreground run.sh sees a stop, not a crash.
stop_services() {
  local svc pid started deadline=$((SECONDS + STOP_TIMEOUT))
  local -A stopping=()
  for svc in "${@:-${SERVICES[@]}}"; do
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
  # Whether or not PROMETHEUS is set now: one started earlier from RUN_DIR stops too.
  stop_services prometheus
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

# summary_urls COMPONENT — the URLs COMPONENT was given, passwords as ***.
summary_urls() {
  (
    component_urls "$1" '***'
    for url in "${WRITE_DB_URL:-}" "${READ_DB_URL:-}" "${AMQP_URL:-}"; do
      [[ -z $url ]] || redact_url "$url"
    done
  )
}

print_summary() {
  local host put_env="" fetch_env="" run_env="" source key
  host=$(url_host)
  source=$(cat "$RUN_DIR/price_source" 2>/dev/null || echo "${PRICE_SOURCE:-coinbase}")
  key=$(<"$API_KEY_FILE")
  [[ $RUN_DIR == "$ROOT/.run" ]] || run_env="RUN_DIR=$RUN_DIR "
  [[ $CREATE_BUY_ORDER_PORT == 8777 ]] || put_env="CREATE_BUY_ORDER_PORT=$CREATE_BUY_ORDER_PORT "
  [[ $FETCH_BUY_ORDERS_PORT == 8778 ]] || fetch_env="FETCH_BUY_ORDERS_PORT=$FETCH_BUY_ORDERS_PORT "
  [[ $source != simulated ]] || simulated_banner
  echo "BuyOrders is running (state and logs in $RUN_DIR):"
  {
    printf '  %-17s %-24s %s\n' \
      create-buy-order "http://$host:$CREATE_BUY_ORDER_PORT" "PUT /buy_order" \
      fetch-buy-orders "http://$host:$FETCH_BUY_ORDERS_PORT" "GET /buy_orders, GET /buy_orders/{id}" \
      btc-price "http://$host:$BTC_PRICE_PORT" "GET /v1/price?currency=USD  (source: $source)" \
      read-model-sync "http://$host:$READ_MODEL_SYNC_PORT" "" \
      "every service" "GET /health, /ready, /metrics" ""
    echo
    echo "Each component logs in as its own database role and broker user (passwords in $SECRETS):"
    for svc in owner create-buy-order fetch-buy-orders read-model-sync; do
      summary_urls "$svc" | sed "1s|^|  $(printf '%-17s ' "${svc/owner/migrate, admin}")|; 2,\$s|^|  $(printf '%-17s ' '')|"
    done
  } | sed 's/ *$//'
  cat <<EOF

API key of the client $DEMO_CLIENT (scopes orders:read, orders:write; kept in $API_KEY_FILE):
  export BUYORDERS_API_KEY=$key
Try:
  curl -sS -w '\n' -X PUT http://$host:$CREATE_BUY_ORDER_PORT/buy_order -H "Authorization: Bearer \$BUYORDERS_API_KEY" \\
    -H 'Content-Type: application/json' \\
    -d '{"currency":"USD","amount":"123.45","idempotence_key":"'"\$(cat /proc/sys/kernel/random/uuid)"'"}'
  curl -sS -w '\n' -H "Authorization: Bearer \$BUYORDERS_API_KEY" 'http://$host:$FETCH_BUY_ORDERS_PORT/buy_orders?page_size=10'
  curl -sS -w '\n' -H "Authorization: Bearer \$BUYORDERS_API_KEY" \\
    'http://$host:$FETCH_BUY_ORDERS_PORT/buy_orders?page_size=10&last_reference=<last_reference>'
  curl -sS -w '\n' 'http://$host:$BTC_PRICE_PORT/v1/price?currency=EUR'
or the same through curl/ (the key from BUYORDERS_API_KEY, else from $API_KEY_FILE):
  ${run_env}${put_env}curl/put_buy_order.sh EUR 50
  ${run_env}${fetch_env}curl/get_buy_orders.sh 5
  ${run_env}${fetch_env}curl/get_buy_orders_pass_last_ref.sh <last_reference> 5
More clients and keys: $0 admin client create NAME, $0 admin key create NAME (README, "Clients and API keys").
EOF
  if service_pid prometheus >/dev/null; then
    echo "Prometheus: $(service_url prometheus) (alerts: $(service_url prometheus)/alerts; rules $PROMETHEUS_RULES," \
      "every ${PROMETHEUS_INTERVAL_S}s)"
  fi
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

# cmd_tool COMMAND ARGS... — an operator's command against the cluster of RUN_DIR: admin is
# buyorders-admin as the owner, read-model-sync its admin commands as its own role and user.
cmd_tool() {
  local tool=$1 component
  shift
  configure
  [[ -s $RUN_DIR/bin && -d $SECRETS ]] || die "no cluster in $RUN_DIR: run '$0 start' first"
  BIN=$(<"$RUN_DIR/bin")
  case $tool in
    admin) tool=buyorders-admin component=owner ;;
    read-model-sync) component=read-model-sync-admin ;;
  esac
  (component_urls "$component" && exec "$BIN/$tool" "$@")
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
  if pid=$(service_pid prometheus); then
    answer=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$(service_url prometheus)/-/ready") || true
    [[ $answer == 200 ]] || rc=3
    status_line prometheus running "$(service_url prometheus | sed 's|^http://||')" "pid $pid, /-/ready $answer"
  elif ((PROMETHEUS == 1)) || [[ -f $PIDS/prometheus.pid ]]; then
    status_line prometheus stopped "$(service_url prometheus | sed 's|^http://||')" ""
    rc=3
  fi
  if [[ -f $RUN_DIR/price_source ]] && pid=$(service_pid btc-price); then
    echo "btc-price source: $(<"$RUN_DIR/price_source")"
  fi
  return "$rc"
}

main() {
  if [[ ${1:-} == admin || ${1:-} == read-model-sync ]]; then
    cmd_tool "$@"
    return
  fi
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
    -h | --help | help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" ;;
    *) usage ;;
  esac
}

main "$@"

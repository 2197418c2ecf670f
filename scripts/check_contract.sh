#!/usr/bin/env bash
# Checks the four HTTP services against their OpenAPI documents, live: starts btc-price,
# create-buy-order, read-model-sync and fetch-buy-orders on free ports (databases and a
# RabbitMQ virtual host of their own, on the servers test.sh started: WRITE_DB_URL,
# READ_DB_URL, AMQP_URL), makes a client with an API key (buyorders-admin), then for each
# service fetches GET /openapi.yaml, checks it is openapi/<service>.yaml, validates it with
# openapi-spec-validator and runs schemathesis against the service with every check, a fixed
# seed and bounded examples (scripts/contract/schemathesis.toml), with the key. Any failure
# (a 5xx, a response that breaks its schema, an undocumented status or header) fails it.
# Always stops what it started and drops its databases and virtual host. test.sh calls it.
#   scripts/check_contract.sh
# CONTRACT_VENV sets the venv (default .build-venv/contract, kept between runs);
# CONTRACT_MAX_EXAMPLES (100) the examples per operation; KEEP_CONTRACT_STATE=1 keeps the logs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

VENV=${CONTRACT_VENV:-$ROOT/.build-venv/contract}
REQUIREMENTS=scripts/contract/requirements.txt
CONFIG=scripts/contract/schemathesis.toml
SERVICES=(btc-price create-buy-order read-model-sync fetch-buy-orders)
NAME=contract_$$
WORK=""
PIDS=()
DATABASES_MADE=0
VHOST_MADE=0

# cleanup — stop the services (SIGTERM, then SIGKILL after 15 s), drop the databases and vhost.
cleanup() {
  local rc=$? pid tries
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for ((tries = 0; tries < 150; tries++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if ((DATABASES_MADE)); then
    psql_admin -c "DROP DATABASE IF EXISTS ${NAME}_write" -c "DROP DATABASE IF EXISTS ${NAME}_read" >/dev/null || true
  fi
  if ((VHOST_MADE)); then
    scripts/rabbitmq.sh ctl "$RABBITMQ_TEST_DIR" delete_vhost "$NAME" >/dev/null 2>&1 || true
  fi
  if [[ -n $WORK ]]; then
    if ((rc != 0)); then
      for f in "$WORK"/*.log; do
        [[ -e $f ]] || continue
        log "tail of $f:"
        tail -n 5 "$f" >&2 || true
      done
    fi
    if [[ ${KEEP_CONTRACT_STATE:-} == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  fi
  exit "$rc"
}

# url_with_database URL NAME — URL with its database (path) replaced by NAME.
url_with_database() {
  local base=${1%%\?*} query=""
  [[ $1 == *\?* ]] && query="?${1#*\?}"
  echo "${base%/*}/$2$query"
}

psql_admin() {
  psql -X -q -v ON_ERROR_STOP=1 "$(url_with_database "$WRITE_DB_URL" postgres)" "$@"
}

# start SERVICE PORT VAR=VALUE... — starts the binary with the given environment, logs in WORK.
start() {
  local service=$1 port=$2
  shift 2
  env "$@" PORT="$port" HOST=127.0.0.1 LOG_LEVEL=info "$BIN/$service" >"$WORK/$service.log" 2>&1 &
  PIDS+=($!)
}

# wait_ready SERVICE URL — until GET URL/ready is 200 (at most 60 s).
wait_ready() {
  local tries
  for ((tries = 0; tries < 300; tries++)); do
    if curl -fsS -o /dev/null "$2/ready" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  curl -sS "$2/ready" >&2 || true
  die "$1 did not become ready at $2"
}

# check SERVICE URL [schemathesis args...] — the served document is openapi/SERVICE.yaml, valid,
# and the service keeps every promise of it.
check() {
  local service=$1 url=$2 served
  shift 2
  served=$WORK/$service.served.yaml
  curl -fsS -o "$served" "$url/openapi.yaml" || die "$service: GET /openapi.yaml failed"
  cmp -s "$served" "openapi/$service.yaml" || die "$service serves another document than openapi/$service.yaml"
  "$VENV/bin/openapi-spec-validator" "$served" || die "openapi/$service.yaml is not a valid OpenAPI document"
  log "schemathesis: $service ($url)"
  # The generated data stay within ASCII: the services take UTF-8, and every field they know is ASCII.
  (cd "$WORK" && "$VENV/bin/schemathesis" --config-file "$ROOT/$CONFIG" run "$url/openapi.yaml" --url "$url" \
    --max-examples "${CONTRACT_MAX_EXAMPLES:-100}" --workers 2 --generation-codec ascii \
    --suppress-health-check too_slow,filter_too_much "$@") >"$WORK/$service.schemathesis.txt" 2>&1 || {
    cat "$WORK/$service.schemathesis.txt" >&2
    die "schemathesis found failures in $service (above)"
  }
  grep -E "^(Test cases|API Operations|Summary)|passed|failed" "$WORK/$service.schemathesis.txt" | tail -n 4 >&2 || true
}

main() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  [[ -n ${WRITE_DB_URL:-} && -n ${READ_DB_URL:-} && -n ${AMQP_URL:-} && -n ${RABBITMQ_TEST_DIR:-} ]] ||
    die "WRITE_DB_URL, READ_DB_URL, AMQP_URL and RABBITMQ_TEST_DIR must name test.sh's servers"
  ensure_venv "$VENV" "$REQUIREMENTS"
  BIN=$(swift build --show-bin-path)
  for service in "${SERVICES[@]}" migrate buyorders-admin; do
    [[ -x $BIN/$service ]] || die "$BIN/$service is missing: run swift build first"
  done
  WORK=$(mktemp -d /tmp/buyorders-contract.XXXXXX)

  psql_admin -c "CREATE DATABASE ${NAME}_write" -c "CREATE DATABASE ${NAME}_read" >/dev/null
  DATABASES_MADE=1
  scripts/rabbitmq.sh ctl "$RABBITMQ_TEST_DIR" add_vhost "$NAME" >/dev/null
  VHOST_MADE=1
  scripts/rabbitmq.sh ctl "$RABBITMQ_TEST_DIR" set_permissions -p "$NAME" guest ".*" ".*" ".*" >/dev/null
  local write read amqp key
  write=$(url_with_database "$WRITE_DB_URL" "${NAME}_write")
  read=$(url_with_database "$READ_DB_URL" "${NAME}_read")
  amqp="${AMQP_URL%/*}/$NAME"
  WRITE_DB_URL=$write READ_DB_URL=$read "$BIN/migrate" apply >"$WORK/migrate.log" 2>&1 || die "migrate apply failed"
  WRITE_DB_URL=$write "$BIN/buyorders-admin" client create contract >/dev/null
  key=$(WRITE_DB_URL=$write "$BIN/buyorders-admin" key create contract --scopes orders:read,orders:write \
    --label check_contract | tail -n 1)

  local price_port create_port sync_port fetch_port
  { read -r price_port; read -r create_port; read -r sync_port; read -r fetch_port; } < <(free_ports 4)
  # Generous rate limits: the run is about the contract; 429 is documented and tested elsewhere.
  local limits=(RATE_LIMIT_PER_S=100000 RATE_LIMIT_BURST=100000)
  start btc-price "$price_port" PRICE_SOURCE=simulated PRICE_POLL_INTERVAL_MS=200
  start read-model-sync "$sync_port" READ_DB_URL="$read" AMQP_URL="$amqp"
  start create-buy-order "$create_port" WRITE_DB_URL="$write" AMQP_URL="$amqp" \
    BTC_PRICE_URL="http://127.0.0.1:$price_port" PRICE_POLL_INTERVAL_MS=200 "${limits[@]}"
  start fetch-buy-orders "$fetch_port" READ_DB_URL="$read" "${limits[@]}"
  wait_ready btc-price "http://127.0.0.1:$price_port"
  wait_ready read-model-sync "http://127.0.0.1:$sync_port"
  wait_ready create-buy-order "http://127.0.0.1:$create_port"
  wait_ready fetch-buy-orders "http://127.0.0.1:$fetch_port"

  # One order through the whole path first, so the key is projected and pages are not empty.
  local answer tries
  answer=$(curl -fsS -X PUT "http://127.0.0.1:$create_port/v1/buy_order" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' -d "{\"currency\":\"EUR\",\"amount\":\"12.34\",\"idempotence_key\":\"$(python3 -c 'import uuid; print(uuid.uuid4())')\"}") ||
    die "the first order was refused"
  for ((tries = 0; tries < 150; tries++)); do
    if curl -fsS "http://127.0.0.1:$fetch_port/v1/buy_orders?page_size=1" -H "Authorization: Bearer $key" 2>/dev/null |
      grep -q '"currency":"EUR"'; then
      break
    fi
    sleep 0.2
  done
  ((tries < 150)) || die "the first order did not reach fetch-buy-orders: $answer"

  local auth=(--header "Authorization: Bearer $key")
  check btc-price "http://127.0.0.1:$price_port"
  check read-model-sync "http://127.0.0.1:$sync_port"
  check create-buy-order "http://127.0.0.1:$create_port" "${auth[@]}"
  # GET /v1/buy_orders/stream answers a stream that stays open: schemathesis waits for a whole body,
  # so it checks the stream's HEAD only (StreamTests check the GET).
  check fetch-buy-orders "http://127.0.0.1:$fetch_port" "${auth[@]}" --exclude-operation-id streamBuyOrders
  log "contract checks passed: the four services keep their OpenAPI documents"
}

main "$@"

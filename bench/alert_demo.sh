#!/usr/bin/env bash
# An alert of deploy/prometheus/buyorders-alerts.yml firing for real, and resolving:
#   1. ./run.sh start with PROMETHEUS=1, on free loopback ports, in a state folder of its own, with
#      Prometheus scraping and evaluating every second;
#   2. orders under load (bench/scale_out_load.py, the client demo's key, ALERT_DEMO_RATE orders/s);
#   3. read-model-sync stopped (SIGTERM to the pid run.sh recorded): BuyOrdersProjectionStalled goes
#      pending, then firing;
#   4. read-model-sync started again (./run.sh start starts what is missing): the alert resolves, and
#      `read-model-sync verify` passes once the load has stopped.
# Every change of any alert's state (GET /api/v1/alerts, polled each second) is printed with its time.
# Exit 0 when the alert fired and resolved within the bounds, 1 otherwise.
#
# The rules Prometheus evaluates are the real file with shorter times, generated into the state
# folder: every `for:` becomes ALERT_DEMO_FOR_S seconds and every range `[5m]` (2m, 15m, 1h)
# ALERT_DEMO_WINDOW_S seconds, so that the demo takes a minute, not ten. The expressions are
# otherwise the ones production evaluates.
#
#   bench/alert_demo.sh    ALERT_DEMO_RATE=20 ALERT_DEMO_FOR_S=10 ALERT_DEMO_WINDOW_S=20
#                          ALERT_DEMO_TIMEOUT_S=120 (each wait: to fire, to resolve)
#                          KEEP_STATE=1 (keeps the state folder and the logs)
#
# Everything listens on 127.0.0.1 and is stopped (./run.sh stop, the load by its pid) on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

ALERT=BuyOrdersProjectionStalled
RATE=${ALERT_DEMO_RATE:-20}
FOR_S=${ALERT_DEMO_FOR_S:-10}
WINDOW_S=${ALERT_DEMO_WINDOW_S:-20}
TIMEOUT_S=${ALERT_DEMO_TIMEOUT_S:-120}
for var in RATE FOR_S WINDOW_S TIMEOUT_S; do
  [[ ${!var} =~ ^[1-9][0-9]{0,3}$ ]] || die "ALERT_DEMO_$var must be a whole number from 1 to 9999, got '${!var}'"
done
STATE=""
LOAD_PID=""
STARTED_AT=$(date +%s.%N)

# MARK: - cleanup

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $LOAD_PID ]]; then
    kill -TERM "$LOAD_PID" 2>/dev/null || true
    wait_exit "$LOAD_PID" 5 || kill -KILL "$LOAD_PID" 2>/dev/null || true
  fi
  if [[ -n $STATE ]]; then
    ./run.sh stop >>"$STATE/run.log" 2>&1 || log "./run.sh stop failed (log: $STATE/run.log)"
    if [[ ${KEEP_STATE:-} == 1 ]]; then log "kept $STATE"; else rm -rf "$STATE"; fi
  fi
  exit "$rc"
}

# MARK: - the cluster

# distinct_ports N — N free loopback ports, all different.
distinct_ports() {
  local -A seen=()
  local port tries
  for ((tries = 0; ${#seen[@]} < $1 && tries < 100; tries++)); do
    port=$(free_port)
    seen[$port]=1
  done
  ((${#seen[@]} == $1)) || die "could not find $1 distinct free ports"
  printf '%s\n' "${!seen[@]}"
}

# fast_rules FILE — the real rules with for: FOR_S and every range WINDOW_S, into FILE, checked.
fast_rules() {
  sed -E -e "s/^([[:space:]]+for:)[[:space:]]*[0-9]+[smh]\$/\\1 ${FOR_S}s/" \
    -e "s/\\[[0-9]+[smh]\\]/[${WINDOW_S}s]/g" deploy/prometheus/buyorders-alerts.yml >"$1"
  promtool check rules "$1" >/dev/null || die "promtool check rules $1 failed"
}

start_cluster() {
  local ports
  mapfile -t ports < <(distinct_ports 7)
  export RUN_DIR=$STATE/run PRICE_SOURCE=simulated PROMETHEUS=1 PROMETHEUS_INTERVAL_S=1
  export PROMETHEUS_RULES=$STATE/buyorders-alerts.fast.yml
  export POSTGRES_PORT=${ports[0]} RABBITMQ_PORT=${ports[1]} CREATE_BUY_ORDER_PORT=${ports[2]}
  export FETCH_BUY_ORDERS_PORT=${ports[3]} BTC_PRICE_PORT=${ports[4]} READ_MODEL_SYNC_PORT=${ports[5]}
  export PROMETHEUS_PORT=${ports[6]}
  fast_rules "$PROMETHEUS_RULES"
  say "rules: deploy/prometheus/buyorders-alerts.yml with every for: ${FOR_S}s and every range [${WINDOW_S}s]" \
    "($PROMETHEUS_RULES); scrape and evaluation every 1 s"
  say "./run.sh start (PROMETHEUS=1, RUN_DIR=$RUN_DIR)"
  ./run.sh start >>"$STATE/run.log" 2>&1 || { tail -n 30 "$STATE/run.log" >&2; die "./run.sh start failed"; }
  PROM=http://127.0.0.1:$PROMETHEUS_PORT
  say "cluster ready; Prometheus on $PROM"
}

# MARK: - observing

# say MESSAGE... — MESSAGE with the wall-clock time and the seconds since the demo began.
say() {
  printf '%s  +%6.1fs  %s\n' "$(date -u +%H:%M:%S.%3N)" \
    "$(awk -v now="$(date +%s.%N)" -v began="$STARTED_AT" 'BEGIN { print now - began }')" "$*"
}

# prom_value QUERY — the value of a one-element instant vector (empty when there is none).
prom_value() {
  curl -sS --max-time 3 -G "$PROM/api/v1/query" --data-urlencode "query=$1" 2>/dev/null |
    python3 -c 'import json, sys
result = json.load(sys.stdin)["data"]["result"]
print(result[0]["value"][1] if result else "")' 2>/dev/null || true
}

# alert_states — "NAME STATE" for each active alert (pending or firing), one line each, sorted.
alert_states() {
  curl -sS --max-time 3 "$PROM/api/v1/alerts" 2>/dev/null | python3 -c 'import json, sys
states = {}
for alert in json.load(sys.stdin)["data"]["alerts"]:
    name = alert["labels"]["alertname"]
    # firing wins over pending when an alert has several series
    if states.get(name) != "firing":
        states[name] = alert["state"]
for name in sorted(states):
    print(name, states[name])' 2>/dev/null || true
}

declare -A LAST_STATE=()
# watch_alerts UNTIL SECONDS — poll each second, print every change of any alert's state, and return
# 0 once ALERT is in state UNTIL (firing, or inactive), or with UNTIL=quiet once no alert is active;
# 1 after SECONDS (always, with UNTIL empty: it only watches).
watch_alerts() {
  local until=$1 deadline=$((SECONDS + $2)) name state line
  local -A now
  while :; do
    now=()
    while read -r name state; do
      [[ -n $name ]] && now[$name]=$state
    done < <(alert_states)
    for name in "${!now[@]}" "${!LAST_STATE[@]}"; do
      state=${now[$name]:-inactive}
      if [[ ${LAST_STATE[$name]:-inactive} != "$state" ]]; then
        say "alert $name: ${LAST_STATE[$name]:-inactive} -> $state"
        LAST_STATE[$name]=$state
      fi
    done
    if [[ $until == quiet ]]; then
      [[ " ${LAST_STATE[*]} " =~ \ (pending|firing)\  ]] || return 0
    elif [[ ${LAST_STATE[$ALERT]:-inactive} == "$until" ]]; then
      return 0
    fi
    ((SECONDS < deadline)) || return 1
    sleep 1
  done
}

# await_flowing SECONDS — until Prometheus sees orders created and events applied over the window.
await_flowing() {
  local deadline=$((SECONDS + $1)) created applied
  while :; do
    created=$(prom_value "sum(rate(orders_created_total[${WINDOW_S}s]))")
    applied=$(prom_value "sum(rate(events_applied_total{job=\"read-model-sync\"}[${WINDOW_S}s]))")
    if [[ -n $created && -n $applied ]] && python3 -c "import sys; sys.exit(not (float('$created') > 0 and float('$applied') > 0))"; then
      say "Prometheus sees the flow: orders created $(printf '%.1f' "$created")/s, events applied $(printf '%.1f' "$applied")/s"
      return 0
    fi
    ((SECONDS < deadline)) || die "Prometheus saw no orders or no applied events within $1 s"
    sleep 1
  done
}

# MARK: - the demo

start_load() {
  printf '%s\t%s\n' demo "$(<"$RUN_DIR/api-key")" >"$STATE/keys.tsv"
  chmod 600 "$STATE/keys.tsv"
  python3 bench/scale_out_load.py --create-url "http://127.0.0.1:$CREATE_BUY_ORDER_PORT" \
    --fetch-url "http://127.0.0.1:$FETCH_BUY_ORDERS_PORT" --keys "$STATE/keys.tsv" --readers 1 \
    --seconds $((4 * TIMEOUT_S + 120)) --rate "$RATE" --out "$STATE/answers.csv" >"$STATE/load.json" 2>"$STATE/load.err" &
  LOAD_PID=$!
  say "load: $RATE orders/s (PUT /buy_order with the demo key, retried with the same key on failure), 1 reader"
}

stop_read_model_sync() {
  local pid started
  read -r pid started <"$RUN_DIR/pids/read-model-sync.pid"
  [[ $(tr '\0' '\n' <"/proc/$pid/cmdline" | head -n 1) == */read-model-sync ]] ||
    die "pid $pid (from $RUN_DIR/pids/read-model-sync.pid) is not read-model-sync"
  kill -TERM "$pid"
  wait_exit "$pid" 20 || die "read-model-sync (pid $pid) did not stop within 20 s"
  say "read-model-sync stopped (SIGTERM to pid $pid); orders keep coming"
}

# stop_load_and_verify — the load ends its orders in flight (SIGTERM; at most 100 s), then
# read-model-sync verify, until it passes (30 s).
stop_load_and_verify() {
  local i output
  kill -TERM "$LOAD_PID" 2>/dev/null || true
  wait_exit "$LOAD_PID" 100 || kill -KILL "$LOAD_PID" 2>/dev/null || true
  wait "$LOAD_PID" 2>/dev/null || true
  LOAD_PID=
  for ((i = 0; i < 30; i++)); do
    if output=$(./run.sh read-model-sync verify 2>&1); then
      say "load stopped; read-model-sync verify: $(head -n 1 <<<"$output")"
      return 0
    fi
    sleep 1
  done
  say "read-model-sync verify failed after 30 s: $output"
  return 1
}

main() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  STATE=$(mktemp -d /tmp/buyorders-alert-demo.XXXXXX)
  chmod 755 "$STATE"
  start_cluster
  start_load
  await_flowing "$TIMEOUT_S"
  watch_alerts inactive 1 || true
  [[ ${LAST_STATE[$ALERT]:-inactive} == inactive ]] || die "$ALERT is active before anything was stopped"

  stop_read_model_sync
  local fired=0 resolved=0
  if watch_alerts firing "$TIMEOUT_S"; then
    fired=1
    say "$ALERT is firing"
  else
    say "$ALERT did not fire within ${TIMEOUT_S} s"
  fi

  say "./run.sh start: starts read-model-sync again"
  ./run.sh start >>"$STATE/run.log" 2>&1 || { tail -n 30 "$STATE/run.log" >&2; die "./run.sh start failed"; }
  say "read-model-sync ready again"
  if ((fired)) && watch_alerts inactive "$TIMEOUT_S"; then
    resolved=1
    say "$ALERT resolved"
  elif ((fired)); then
    say "$ALERT did not resolve within ${TIMEOUT_S} s"
  fi
  # The other alerts settle too: the lag of the backlog read-model-sync applied when it came back
  # (BuyOrdersProjectionLagging) resolves once the window holds only fresh orders.
  watch_alerts "" $((FOR_S + 5)) || true
  if watch_alerts quiet $((WINDOW_S + FOR_S + 60)); then
    say "no alert active"
  else
    say "still active after $((WINDOW_S + FOR_S + 60)) s: $(alert_states | tr '\n' ' ')"
  fi

  local verified=0
  stop_load_and_verify && verified=1
  say "load: $(tail -n 1 "$STATE/load.json")"
  if ((fired && resolved && verified)); then
    echo "alert demo: $ALERT fired and resolved; verify ok"
  else
    echo "alert demo: $ALERT fired=$fired resolved=$resolved verify=$verified"
    return 1
  fi
}

main "$@"

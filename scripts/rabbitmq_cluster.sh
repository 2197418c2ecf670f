#!/usr/bin/env bash
# A private RabbitMQ cluster of COUNT nodes (2 to 5) on loopback, for failover tests and
# bench/scale_out.sh. Each node is a scripts/rabbitmq.sh node in DIR/nodeI (distinct node name,
# AMQP port and distribution port); the nodes share one epmd of the cluster's own on a free
# loopback port, so they find each other, and node 2.. join node 1.
#   scripts/rabbitmq_cluster.sh start DIR COUNT       start the nodes, join them, wait until all run
#   scripts/rabbitmq_cluster.sh stop DIR              stop every node, then the cluster's epmd
#   scripts/rabbitmq_cluster.sh urls DIR              the AMQP_URL of the cluster, node 1 first
#   scripts/rabbitmq_cluster.sh port DIR I            the AMQP port of node I
#   scripts/rabbitmq_cluster.sh kill-node DIR I       SIGKILL node I (a crash: its connections drop at once)
#   scripts/rabbitmq_cluster.sh stop-node DIR I       stop node I gracefully
#   scripts/rabbitmq_cluster.sh start-node DIR I      start node I again; it rejoins the cluster
#   scripts/rabbitmq_cluster.sh ctl DIR I ARGS...     rabbitmqctl -n NODE_I ARGS...
#   scripts/rabbitmq_cluster.sh queues DIR I ARGS...  rabbitmq-queues -n NODE_I ARGS... (quorum_status Q)
#   scripts/rabbitmq_cluster.sh status DIR            one line per node: running or stopped
# DIR/cluster remembers COUNT and EPMD_PORT. Quorum queues declared once the cluster has formed
# have a member on every node (`ctl DIR 1 list_queues name type members`).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
NODE_SCRIPT=$(dirname "${BASH_SOURCE[0]}")/rabbitmq.sh
RMQ_TIMEOUT=${RMQ_TIMEOUT:-60}
export RMQ_TIMEOUT

usage() {
  echo "usage: $0 start DIR COUNT | stop DIR | urls DIR | port DIR I | kill-node DIR I | stop-node DIR I |" \
    "start-node DIR I | ctl DIR I ARGS... | queues DIR I ARGS... | status DIR" >&2
  exit 2
}

load_cluster() {
  [[ -f $DIR/cluster ]] || die "$DIR/cluster missing: run '$0 start $DIR COUNT' first"
  # shellcheck source=/dev/null
  source "$DIR/cluster"
}

# node_dir I — the folder of node I (1-based), checked against COUNT.
node_dir() {
  [[ $1 =~ ^[1-9]$ ]] && (($1 <= COUNT)) || die "no node $1 in a cluster of $COUNT"
  echo "$DIR/node$1"
}

# node_var I NAME — NAME (NODE, PORT, ...) from node I's env file.
node_var() {
  (
    # shellcheck source=/dev/null
    source "$(node_dir "$1")/env"
    echo "${!2}"
  )
}

ctl_node() {
  local i=$1
  shift
  "$NODE_SCRIPT" ctl "$(node_dir "$i")" "$@"
}

# queues_node I ARGS... — rabbitmq-queues on node I, with the environment scripts/rabbitmq.sh gives rabbitmqctl.
queues_node() {
  local dir
  dir=$(node_dir "$1")
  shift
  (
    # shellcheck source=/dev/null
    source "$dir/env"
    export HOME=${HOME:-/root} ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT=$EPMD_PORT
    export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    "${RMQ_BIN:-/usr/lib/rabbitmq/bin}/rabbitmq-queues" -n "$NODE" "$@"
  )
}

# node_pid I — the pid of node I while it runs (false otherwise).
node_pid() {
  local pid file
  file=$(node_dir "$1")/pid
  [[ -f $file ]] || return 1
  pid=$(cat "$file" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

epmd_running() {
  epmd -port "$EPMD_PORT" -names >/dev/null 2>&1
}

start_epmd() {
  epmd_running && return 0
  port_in_use "$EPMD_PORT" && EPMD_PORT=$(free_port)
  epmd -daemon -address 127.0.0.1 -port "$EPMD_PORT" -relaxed_command_check ||
    die "epmd failed to start on 127.0.0.1:$EPMD_PORT"
  local i
  for ((i = 0; i < 50; i++)); do
    epmd_running && return 0
    sleep 0.1
  done
  die "epmd did not answer on 127.0.0.1:$EPMD_PORT"
}

# start_node I — scripts/rabbitmq.sh start on the node's folder (its remembered ports).
start_node() {
  local dir
  dir=$(node_dir "$1")
  "$NODE_SCRIPT" start "$dir" "$(node_var "$1" PORT)" >/dev/null 2>"$dir/start.err" || {
    cat "$dir/start.err" >&2
    return 1
  }
}

# stop_node I — a graceful stop of node I that leaves the shared epmd alone (scripts/rabbitmq.sh
# stop would end it); SIGKILL if it does not stop in time.
stop_node() {
  local pid
  pid=$(node_pid "$1") || return 0
  timeout "$RMQ_TIMEOUT" "$NODE_SCRIPT" ctl "$(node_dir "$1")" -q stop >/dev/null 2>&1 || true
  if ! wait_exit "$pid" "$RMQ_TIMEOUT"; then
    log "rabbitmq node $1 did not stop; killing $pid"
    kill -9 "$pid" 2>/dev/null || true
    wait_exit "$pid" 10 || true
  fi
  rm -f "$(node_dir "$1")/pid"
}

cmd_start() {
  local count=$1 i hash pids=() failed=0
  [[ $count =~ ^[2-5]$ ]] || die "a cluster has 2 to 5 nodes, not '$count'"
  [[ ! -f $DIR/cluster ]] || die "$DIR already holds a cluster: stop it and remove the folder first"
  COUNT=$count
  local ports
  mapfile -t ports < <(free_ports $((2 * COUNT + 1)))
  EPMD_PORT=${ports[2 * COUNT]}
  start_epmd
  printf 'COUNT=%q\nEPMD_PORT=%q\n' "$COUNT" "$EPMD_PORT" >"$DIR/cluster"
  hash=$(printf '%s' "$DIR" | md5sum | cut -c1-8)
  for ((i = 1; i <= COUNT; i++)); do
    mkdir -p "$DIR/node$i"
    printf 'NODE=%q\nPORT=%q\nDIST_PORT=%q\nEPMD_PORT=%q\n' \
      "buyorders-$hash-$i@localhost" "${ports[2 * i - 2]}" "${ports[2 * i - 1]}" "$EPMD_PORT" >"$DIR/node$i/env"
  done
  # The nodes boot side by side: on two cores that is about as fast as the slowest one alone.
  for ((i = 1; i <= COUNT; i++)); do
    start_node "$i" &
    pids+=($!)
  done
  for i in "${pids[@]}"; do
    wait "$i" || failed=1
  done
  ((failed == 0)) || { cmd_stop; die "a node of the cluster in $DIR failed to start"; }
  local first
  first=$(node_var 1 NODE)
  for ((i = 2; i <= COUNT; i++)); do
    ctl_node "$i" -q stop_app >/dev/null &&
      ctl_node "$i" -q join_cluster "$first" >/dev/null &&
      ctl_node "$i" -q start_app >/dev/null || { cmd_stop; die "node $i could not join $first"; }
  done
  local running
  running=$(ctl_node 1 -q eval 'length(rabbit_nodes:all_running()).' 2>/dev/null) || running=0
  [[ $running == "$COUNT" ]] || { cmd_stop; die "the cluster in $DIR runs $running of $COUNT nodes"; }
  log "rabbitmq cluster of $COUNT nodes running in $DIR: $(cmd_urls)"
}

cmd_stop() {
  [[ -f $DIR/cluster ]] || return 0
  load_cluster
  local i
  for ((i = COUNT; i >= 1; i--)); do
    [[ -f $DIR/node$i/env ]] && stop_node "$i"
  done
  if epmd_running; then
    epmd -port "$EPMD_PORT" -kill >/dev/null 2>&1 || log "epmd on port $EPMD_PORT did not stop"
  fi
  log "rabbitmq cluster stopped in $DIR"
}

# The user, password and vhost are written once: the later URLs of AMQP_URL take the first's.
cmd_urls() {
  local i urls
  urls="amqp://guest:guest@127.0.0.1:$(node_var 1 PORT)/%2f"
  for ((i = 2; i <= COUNT; i++)); do
    urls+=",amqp://127.0.0.1:$(node_var "$i" PORT)"
  done
  echo "$urls"
}

cmd_kill_node() {
  local pid
  pid=$(node_pid "$1") || die "node $1 is not running"
  kill -9 "$pid"
  wait_exit "$pid" 10 || die "node $1 (pid $pid) survived SIGKILL"
  rm -f "$(node_dir "$1")/pid"
}

cmd_status() {
  local i rc=0
  for ((i = 1; i <= COUNT; i++)); do
    if node_pid "$i" >/dev/null; then
      echo "node $i: running $(node_var "$i" NODE) on 127.0.0.1:$(node_var "$i" PORT)"
    else
      echo "node $i: stopped"
      rc=3
    fi
  done
  return "$rc"
}

main() {
  (($# >= 2)) || usage
  local cmd=$1
  [[ -n $2 ]] || usage
  [[ $cmd != start ]] || mkdir -p "$2"
  DIR=$(abs_path "$2")
  shift 2
  case $cmd in
    start) (($# == 1)) || usage; cmd_start "$1" ;;
    stop) cmd_stop ;;
    urls) load_cluster; cmd_urls ;;
    port) (($# == 1)) || usage; load_cluster; node_var "$1" PORT ;;
    kill-node) (($# == 1)) || usage; load_cluster; cmd_kill_node "$1" ;;
    stop-node) (($# == 1)) || usage; load_cluster; stop_node "$1" ;;
    start-node) (($# == 1)) || usage; load_cluster; start_node "$1" ;;
    ctl) (($# >= 2)) || usage; load_cluster; ctl_node "$@" ;;
    queues) (($# >= 2)) || usage; load_cluster; queues_node "$@" ;;
    status) load_cluster; cmd_status ;;
    *) usage ;;
  esac
}

main "$@"

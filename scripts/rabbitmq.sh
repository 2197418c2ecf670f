#!/usr/bin/env bash
# Private RabbitMQ node with all state under DIR, AMQP on 127.0.0.1:PORT.
#   scripts/rabbitmq.sh start DIR PORT | stop DIR | restart DIR | status DIR
#   scripts/rabbitmq.sh start DIR         (again, with the remembered port)
#   scripts/rabbitmq.sh node DIR          (print the node name)
#   scripts/rabbitmq.sh ctl DIR ARGS...   (rabbitmqctl -n NODE ARGS...)
#   scripts/rabbitmq.sh users DIR SECRETS (the users of BuyOrders, and no guest: scripts/rabbitmq_users.sh,
#                                          with the passwords kept in SECRETS/rabbitmq-<user>, made once)
# DIR/env remembers node name and ports; DIR/log holds the logs.
# Everything listens on 127.0.0.1 only: AMQP, Erlang distribution, and an epmd of the node's own on a
# port of its own (EPMD_PORT), which start starts and stop stops. The machine-wide epmd on port 4369
# is left alone: another Erlang program may have started it, on every interface.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Call the real scripts: the /usr/sbin wrappers su to user rabbitmq.
RMQ_BIN=${RMQ_BIN:-/usr/lib/rabbitmq/bin}
RMQ_TIMEOUT=${RMQ_TIMEOUT:-60}
# Erlang finds its cookie in $HOME.
export HOME=${HOME:-/root}

usage() {
  echo "usage: $0 start DIR [PORT] | stop DIR | restart DIR | status DIR | node DIR | ctl DIR ARGS... | users DIR SECRETS" >&2
  exit 2
}

# load_env — read NODE, PORT, DIST_PORT, EPMD_PORT from DIR/env (false if absent).
load_env() {
  [[ -f $DIR/env ]] || return 1
  # shellcheck source=/dev/null
  source "$DIR/env"
}

save_env() {
  printf 'NODE=%q\nPORT=%q\nDIST_PORT=%q\nEPMD_PORT=%q\n' "$NODE" "$PORT" "$DIST_PORT" "$EPMD_PORT" >"$DIR/env"
}

require_env() {
  load_env || die "$DIR/env missing: run '$0 start $DIR PORT' first"
}

# export_node_env — the RABBITMQ_* variables that place the node in DIR.
export_node_env() {
  export RABBITMQ_NODENAME=$NODE
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT=$PORT
  export RABBITMQ_DIST_PORT=$DIST_PORT
  export RABBITMQ_MNESIA_BASE=$DIR/mnesia
  export RABBITMQ_LOG_BASE=$DIR/log
  export RABBITMQ_ENABLED_PLUGINS_FILE=$DIR/enabled_plugins
  export RABBITMQ_PID_FILE=$DIR/pid
  export RABBITMQ_CONFIG_FILE=$DIR/rabbitmq.conf
  export RABBITMQ_ADVANCED_CONFIG_FILE=$DIR/advanced.config
  export RABBITMQ_CONF_ENV_FILE=$DIR/rabbitmq-env.conf
  # The broker shares the cores with PostgreSQL and the four services. One Erlang scheduler that
  # sleeps when idle, instead of one busy-waiting scheduler per core, took its CPU per order from
  # about 110 to 75 µs (bench/create_buy_orders.sh). RABBITMQ_SCHEDULERS sets another count.
  local schedulers=${RABBITMQ_SCHEDULERS:-1}
  [[ $schedulers =~ ^[1-9][0-9]{0,2}$ ]] || die "RABBITMQ_SCHEDULERS must be a number of schedulers (1 to 999), not '$schedulers'"
  # Erlang distribution on loopback only, for the node and for the CLI (rabbitmqctl is a node too).
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1} +S $schedulers:$schedulers +sbwt none +sbwtdcpu none +sbwtdio none"
  export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export ERL_CRASH_DUMP=$DIR/log/erl_crash.dump
  # The node's own epmd; a DIR/env from before EPMD_PORT existed means the machine-wide one.
  export ERL_EPMD_ADDRESS=127.0.0.1
  if [[ -n ${EPMD_PORT:-} ]]; then
    export ERL_EPMD_PORT=$EPMD_PORT
  fi
}

# epmd_running — true when the node's epmd answers on 127.0.0.1:EPMD_PORT.
epmd_running() {
  [[ -n ${EPMD_PORT:-} ]] && epmd -port "$EPMD_PORT" -names >/dev/null 2>&1
}

# start_epmd — the node's epmd on 127.0.0.1:EPMD_PORT (a new free port if that one is taken).
start_epmd() {
  if epmd_running; then
    return 0
  fi
  if [[ -z ${EPMD_PORT:-} ]] || port_in_use "$EPMD_PORT"; then
    EPMD_PORT=$(free_port)
  fi
  # -relaxed_command_check: stop can end it even if a killed node is still registered.
  epmd -daemon -address 127.0.0.1 -port "$EPMD_PORT" -relaxed_command_check ||
    die "epmd failed to start on 127.0.0.1:$EPMD_PORT"
  local i
  for ((i = 0; i < 50; i++)); do
    epmd_running && return 0
    sleep 0.1
  done
  die "epmd did not answer on 127.0.0.1:$EPMD_PORT"
}

# stop_epmd — end the node's epmd (not the machine-wide one on 4369).
stop_epmd() {
  if epmd_running; then
    epmd -port "$EPMD_PORT" -kill >/dev/null 2>&1 || log "epmd on port $EPMD_PORT did not stop"
  fi
}

ctl() {
  export_node_env
  "$RMQ_BIN/rabbitmqctl" -n "$NODE" "$@"
}

# node_pid — pid of the running node (false if none).
node_pid() {
  local pid
  [[ -f $DIR/pid ]] || return 1
  pid=$(cat "$DIR/pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

is_running() {
  load_env && node_pid >/dev/null
}

# ensure_cookie — the server and the CLI share $HOME/.erlang.cookie. Reuse
# the rabbitmq user's cookie so the system rabbitmqctl wrapper works too.
ensure_cookie() {
  local cookie=$HOME/.erlang.cookie system=/var/lib/rabbitmq/.erlang.cookie
  [[ -s $cookie ]] && return 0
  if [[ -s $system ]]; then
    cp "$system" "$cookie"
  else
    (umask 077 && head -c 64 /dev/urandom | md5sum | cut -c1-20 >"$cookie")
  fi
  chmod 400 "$cookie"
}

write_files() {
  mkdir -p "$DIR/mnesia" "$DIR/log"
  echo '[].' >"$DIR/enabled_plugins"
  cat >"$DIR/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$PORT
loopback_users = none
log.console = false
EOF
}

# show_log — the errors (else the tail) of each non-empty log.
show_log() {
  local f
  for f in "$DIR"/log/*.log; do
    [[ -s $f ]] || continue
    log "from $f:"
    grep -m 20 -F '[error]' "$f" >&2 || tail -n 30 "$f" >&2
  done
}

# await_node — wait (bounded) until the node has booted. await_startup
# fails at once while the node is not yet reachable, hence the loop.
await_node() {
  local deadline=$((SECONDS + RMQ_TIMEOUT))
  while ((SECONDS < deadline)); do
    if timeout "$RMQ_TIMEOUT" "$RMQ_BIN/rabbitmqctl" -n "$NODE" -q \
      await_startup --timeout "$RMQ_TIMEOUT" >/dev/null 2>&1; then
      return 0
    fi
    # The node writes its pid file early; if that process is gone, give up.
    if [[ -f $DIR/pid ]] && ! node_pid >/dev/null; then
      return 1
    fi
    sleep 1
  done
  return 1
}

cmd_start() {
  local port=${1:-}
  [[ -n $port ]] || { require_env && port=$PORT; }
  [[ $port =~ ^[0-9]+$ ]] || usage
  if is_running; then
    log "rabbitmq already running in $DIR (node $NODE, port $PORT)"
    return 0
  fi
  load_env || NODE="buyorders-$(printf '%s' "$DIR" | md5sum | cut -c1-8)@localhost"
  PORT=$port
  if [[ -z ${DIST_PORT:-} ]] || port_in_use "$DIST_PORT"; then
    DIST_PORT=$(free_port)
  fi
  start_epmd
  save_env
  write_files
  ensure_cookie
  export_node_env
  rm -f "$DIR/pid"
  (cd "$DIR" && "$RMQ_BIN/rabbitmq-server" -detached) >"$DIR/log/startup.log" 2>&1 || {
    show_log
    die "rabbitmq-server failed to launch in $DIR"
  }
  if ! await_node; then
    show_log
    cmd_stop || true
    die "rabbitmq failed to start in $DIR"
  fi
  log "rabbitmq running in $DIR (node $NODE, 127.0.0.1:$PORT)"
}

cmd_stop() {
  local pid
  load_env || return 0
  export_node_env
  # No live pid file: the node may still be up (pid file not yet written).
  pid=$(node_pid) || pid=""
  if [[ -z $pid ]] && ! ctl -q ping >/dev/null 2>&1; then
    stop_epmd
    return 0
  fi
  timeout "$RMQ_TIMEOUT" "$RMQ_BIN/rabbitmqctl" -n "$NODE" -q stop >/dev/null 2>&1 || true
  if [[ -n $pid ]] && ! wait_exit "$pid" "$RMQ_TIMEOUT"; then
    log "rabbitmq node $NODE did not stop; killing $pid"
    kill -9 "$pid" 2>/dev/null || true
    wait_exit "$pid" 10 || true
  fi
  rm -f "$DIR/pid"
  stop_epmd
  log "rabbitmq stopped in $DIR"
}

cmd_restart() {
  require_env
  cmd_stop
  cmd_start "$PORT"
}

# cmd_users SECRETS — scripts/rabbitmq_users.sh on the running node, with the passwords kept in
# SECRETS (each made once, mode 600).
cmd_users() {
  is_running || die "rabbitmq is not running in $DIR"
  export_node_env
  CREATE_BUY_ORDER_AMQP_PASSWORD=$(secret "$1/rabbitmq-create_buy_order") \
    READ_MODEL_SYNC_AMQP_PASSWORD=$(secret "$1/rabbitmq-read_model_sync") \
    RABBITMQ_NODE=$NODE PATH="$RMQ_BIN:$PATH" "$(dirname "${BASH_SOURCE[0]}")/rabbitmq_users.sh" ||
    die "the broker users could not be made in $DIR"
}

cmd_status() {
  if is_running && ctl -q ping >/dev/null 2>&1; then
    echo "running: node $NODE on 127.0.0.1:$PORT"
  else
    echo "stopped"
    return 3
  fi
}

main() {
  (($# >= 2)) || usage
  local cmd=$1
  [[ -n $2 ]] || usage
  [[ $cmd != start ]] || mkdir -p "$2"
  DIR=$(abs_path "$2")
  shift 2
  case $cmd in
    start) (($# <= 1)) || usage; cmd_start "$@" ;;
    stop) cmd_stop ;;
    restart) cmd_restart ;;
    status) cmd_status ;;
    node) require_env; echo "$NODE" ;;
    ctl) require_env; ctl "$@" ;;
    users) (($# == 1)) || usage; require_env; cmd_users "$(abs_path "$1")" ;;
    *) usage ;;
  esac
}

main "$@"

#!/usr/bin/env bash
# The one test command: build, start private PostgreSQL and RabbitMQ on free
# ports, run `swift test "$@"`, always stop the servers afterwards.
#   ./test.sh [swift test args, e.g. --filter Name]   (without args it runs
#   the suites in two rounds, the cluster-sized ones last (HEAVY_SUITES), and
#   then scripts/run_smoke_test.sh: ./run.sh start, the curl scripts, stop)
#   KEEP_TEST_STATE=1 ./test.sh   keeps the temp state dir (logs, data)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

STATE=""
TEST_PID=""

# cleanup — stop the tests and the servers, drop (or keep) the state dir.
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $TEST_PID ]] && kill -0 "$TEST_PID" 2>/dev/null; then
    kill -TERM -- "-$TEST_PID" 2>/dev/null || kill -TERM "$TEST_PID" 2>/dev/null || true
    wait "$TEST_PID" 2>/dev/null || true
  fi
  if [[ -n $STATE ]]; then
    scripts/rabbitmq.sh stop "$STATE/rabbitmq" || true
    scripts/postgres.sh stop "$STATE/postgres" || true
    scripts/postgres.sh stop "$STATE/postgres-streams" || true
    if [[ ${KEEP_TEST_STATE:-} == 1 ]]; then
      log "kept test state in $STATE"
    else
      rm -rf "$STATE"
    fi
  fi
  exit "$rc"
}

build() {
  log "swift build --build-tests"
  swift build --build-tests || die "swift build --build-tests failed"
}

# two_free_ports — print two distinct free ports.
two_free_ports() {
  local a b
  a=$(free_port)
  b=$(free_port)
  while [[ $a == "$b" ]]; do b=$(free_port); done
  echo "$a $b"
}

start_servers() {
  local pgport amqpport streamsport
  read -r pgport amqpport < <(two_free_ports)
  scripts/postgres.sh start "$STATE/postgres" "$pgport" ||
    die "PostgreSQL failed to start (log above)"
  # The stream tests' own server: a stream passes no order while any transaction older than it
  # runs anywhere on its server, and the other tests hold transactions open on purpose.
  streamsport=$(free_port)
  while [[ $streamsport == "$pgport" || $streamsport == "$amqpport" ]]; do streamsport=$(free_port); done
  scripts/postgres.sh start "$STATE/postgres-streams" "$streamsport" ||
    die "PostgreSQL for the stream tests failed to start (log above)"
  export STREAM_TEST_DB_URL="postgresql://postgres@127.0.0.1:$streamsport/postgres"
  scripts/rabbitmq.sh start "$STATE/rabbitmq" "$amqpport" ||
    die "RabbitMQ failed to start (log above)"
  export WRITE_DB_URL="postgresql://postgres@127.0.0.1:$pgport/write_model"
  export READ_DB_URL="postgresql://postgres@127.0.0.1:$pgport/read_model"
  export AMQP_URL="amqp://guest:guest@127.0.0.1:$amqpport/%2f"
  export RABBITMQ_TEST_DIR=$STATE/rabbitmq
}

# The suites that start whole clusters of their own (several service binaries, broker nodes,
# standbys) and load them. A full run runs them after the others, HEAVY_PARALLELISM (4) at a time:
# beside a hundred other suites on two cores they starved the tests that wait for something within
# a bound (a revocation refused within 5 s, orders flowing again within 30 s).
HEAVY_SUITES='ScaleOutTests|SilentNetworkTests|BrokerFailoverTests|BrokerOutageTests|LeastPrivilegeClusterTests|StreamShutdownTests|StreamAndActivityTests|StreamBackpressureTests|ProjectionCrashTests|StandbyReadTests|PostgresFailoverTests|BuyOrdersCLITests'

# run_tests WIDTH ARGS... — swift test, at most WIDTH tests at once, in its own process group (so
# cleanup can stop it on INT/TERM); returns its exit code.
run_tests() {
  local rc=0 width=$1
  shift
  log "swift test $* (at most $width tests at once)"
  # Bounded: many tests start servers of their own or wait on timeouts, and on two cores an
  # unbounded run starves the tests that measure time.
  export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=$width
  # Bounded: a test that hangs fails the run instead of holding CI (TEST_TIMEOUT_S, 1800).
  setsid timeout -k 30 "${TEST_TIMEOUT_S:-1800}" swift test "$@" &
  TEST_PID=$!
  wait "$TEST_PID" || rc=$?
  TEST_PID=""
  return "$rc"
}

main() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  ensure_packages
  build
  STATE=$(mktemp -d /tmp/buyorders-test.XXXXXX)
  chmod 755 "$STATE"
  start_servers
  # 8 at a time: at 16, on a slow hour of this VM, tests that wait within a bound (a drain's grace,
  # orders flowing again after a fault) missed it in one first round out of three.
  local width=${TEST_PARALLELISM:-8}
  if (($# == 0)); then
    local rc=0
    run_tests "$width" --skip "$HEAVY_SUITES" || rc=$?
    run_tests "${HEAVY_PARALLELISM:-4}" --filter "$HEAVY_SUITES" || rc=$?
    ((rc == 0)) || die "swift test failed (output above)"
  else
    run_tests "$width" "$@"
  fi
  log "deploy manifests and alert rules"; scripts/check_deploy.sh
  log "OpenAPI documents against the live services"; scripts/check_contract.sh
  # The full run also starts the whole cluster the way a user does, on its own ports and state.
  if (($# == 0)); then
    log "run.sh smoke test (./run.sh start, curl/, status, stop)"
    BUILD_CONFIGURATION=debug scripts/run_smoke_test.sh
  fi
}

main "$@"

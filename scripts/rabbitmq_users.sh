#!/usr/bin/env bash
# The broker users of BuyOrders (README, "Least privilege"), made or brought up to date through
# rabbitmqctl (the node RABBITMQ_NODE, else rabbitmqctl's default), and no guest:
#   scripts/rabbitmq_users.sh
# - the vhost buyorders;
# - create_buy_order (CREATE_BUY_ORDER_AMQP_PASSWORD): the outbox relay declares the topology
#   (AMQPTopology.swift: configure on its four names, write on the queues and read on the exchanges
#   to bind them) and publishes to buy_orders; it reads no queue;
# - read_model_sync (READ_MODEL_SYNC_AMQP_PASSWORD): declares the same topology, consumes
#   read_model_sync, parks messages through buy_orders.dead_letter, takes them from
#   read_model_sync.dead_letter and redrives them through the default exchange (amq.default).
# The same permissions as deploy/k8s/base/rabbitmq/users.yaml. Standalone (scripts/rabbitmq.sh users
# runs it, and docker-compose in the rabbitmq image). Passwords go to rabbitmqctl on its standard
# input, never on a command line.
set -euo pipefail

VHOST=buyorders
TOPOLOGY='buy_orders|buy_orders\.dead_letter|read_model_sync|read_model_sync\.dead_letter'
# user -> configure, write, read (regular expressions on exchange and queue names)
declare -A CONFIGURE=([create_buy_order]="^($TOPOLOGY)\$" [read_model_sync]="^($TOPOLOGY)\$")
declare -A WRITE=(
  [create_buy_order]='^(buy_orders|read_model_sync|read_model_sync\.dead_letter)$'
  [read_model_sync]='^(buy_orders\.dead_letter|amq\.default|read_model_sync|read_model_sync\.dead_letter)$'
)
declare -A READ=([create_buy_order]='^(buy_orders|buy_orders\.dead_letter)$' [read_model_sync]="^($TOPOLOGY)\$")
declare -A PASSWORD=([create_buy_order]=CREATE_BUY_ORDER_AMQP_PASSWORD [read_model_sync]=READ_MODEL_SYNC_AMQP_PASSWORD)

die() {
  echo "rabbitmq_users.sh: error: $*" >&2
  exit 1
}

ctl() {
  rabbitmqctl ${RABBITMQ_NODE:+-n "$RABBITMQ_NODE"} -q "$@"
}

# has LIST NAME — true when `rabbitmqctl LIST` names NAME in its first column.
has() {
  ctl "$1" --no-table-headers | cut -f 1 | grep -qxF "$2"
}

main() {
  local user variable
  command -v rabbitmqctl >/dev/null || die "rabbitmqctl not found"
  for user in "${!PASSWORD[@]}"; do
    variable=${PASSWORD[$user]}
    [[ -n ${!variable:-} ]] || die "$variable is not set (the password of the broker user $user)"
  done
  has list_vhosts "$VHOST" || ctl add_vhost "$VHOST" >/dev/null
  for user in create_buy_order read_model_sync; do
    variable=${PASSWORD[$user]}
    if has list_users "$user"; then
      printf '%s\n' "${!variable}" | ctl change_password "$user" >/dev/null
    else
      printf '%s\n' "${!variable}" | ctl add_user "$user" >/dev/null
    fi
    ctl set_user_tags "$user" >/dev/null
    ctl set_permissions -p "$VHOST" "$user" "${CONFIGURE[$user]}" "${WRITE[$user]}" "${READ[$user]}" >/dev/null
  done
  ! has list_users guest || ctl delete_user guest >/dev/null
}

main "$@"

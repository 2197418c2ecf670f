#!/usr/bin/env bash
# PUT /buy_order on create-buy-order with a fresh idempotence key.
#   curl/put_buy_order.sh [currency] [amount]      (default: USD 123.45)
# CREATE_BUY_ORDER_PORT selects the port (default 8777).
set -euo pipefail

currency=${1:-USD}
amount=${2:-123.45}
key=$(cat /proc/sys/kernel/random/uuid)

curl -sS -w '\n' --fail-with-body -X PUT "http://127.0.0.1:${CREATE_BUY_ORDER_PORT:-8777}/buy_order" \
  -H 'Content-Type: application/json' \
  -d "{\"currency\":\"$currency\",\"amount\":\"$amount\",\"idempotence_key\":\"$key\"}"

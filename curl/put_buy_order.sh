#!/usr/bin/env bash
# PUT /buy_order on create-buy-order with a fresh idempotence key.
#   curl/put_buy_order.sh [currency] [amount]      (default: USD 123.45)
# CREATE_BUY_ORDER_PORT selects the port (default 8777); the key is BUYORDERS_API_KEY, else the one
# ./run.sh keeps in RUN_DIR/api-key. The header is what `-H "Authorization: Bearer $key"` sends, passed
# through a file descriptor so that the key is on no command line.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/api_key.sh"

currency=${1:-USD}
amount=${2:-123.45}
key=$(api_key)
idempotence_key=$(cat /proc/sys/kernel/random/uuid)

curl -sS -w '\n' --fail-with-body -X PUT "http://127.0.0.1:${CREATE_BUY_ORDER_PORT:-8777}/buy_order" \
  -H @<(printf 'Authorization: Bearer %s\n' "$key") \
  -H 'Content-Type: application/json' \
  -d "{\"currency\":\"$currency\",\"amount\":\"$amount\",\"idempotence_key\":\"$idempotence_key\"}"

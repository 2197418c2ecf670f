#!/usr/bin/env bash
# GET /buy_orders on fetch-buy-orders: the page after the one whose
# last_reference is given.
#   curl/get_buy_orders_pass_last_ref.sh <last_reference> [page_size]      (default 10)
# FETCH_BUY_ORDERS_PORT selects the port (default 8778); the key is BUYORDERS_API_KEY, else the one
# ./run.sh keeps in RUN_DIR/api-key. The header is what `-H "Authorization: Bearer $key"` sends, passed
# through a file descriptor so that the key is on no command line.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/api_key.sh"

if (($# < 1 || $# > 2)); then
  echo "usage: $0 <last_reference> [page_size]" >&2
  exit 2
fi
key=$(api_key)

curl -sS -w '\n' --fail-with-body -G "http://127.0.0.1:${FETCH_BUY_ORDERS_PORT:-8778}/buy_orders" \
  -H @<(printf 'Authorization: Bearer %s\n' "$key") \
  --data-urlencode "page_size=${2:-10}" --data-urlencode "last_reference=$1"

#!/usr/bin/env bash
# GET /buy_orders on fetch-buy-orders: the page after the one whose
# last_reference is given.
#   curl/get_buy_orders_pass_last_ref.sh <last_reference> [page_size]      (default 10)
# FETCH_BUY_ORDERS_PORT selects the port (default 8778).
set -euo pipefail

if (($# < 1 || $# > 2)); then
  echo "usage: $0 <last_reference> [page_size]" >&2
  exit 2
fi

curl -sS -w '\n' --fail-with-body -G "http://127.0.0.1:${FETCH_BUY_ORDERS_PORT:-8778}/buy_orders" \
  --data-urlencode "page_size=${2:-10}" --data-urlencode "last_reference=$1"

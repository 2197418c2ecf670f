#!/usr/bin/env bash
# GET /buy_orders on fetch-buy-orders: the newest orders.
#   curl/get_buy_orders.sh [page_size]      (default 10)
# FETCH_BUY_ORDERS_PORT selects the port (default 8778).
set -euo pipefail

curl -sS -w '\n' --fail-with-body -G "http://127.0.0.1:${FETCH_BUY_ORDERS_PORT:-8778}/buy_orders" \
  --data-urlencode "page_size=${1:-10}"

-- wrk script: PUT /buy_order as fast as the connections go, a fresh idempotency key per request.
--   wrk -t2 -c64 -d15s -s bench/put_buy_order.lua http://127.0.0.1:8777
dofile("bench/put_common.lua")

function init(args)
  init_common()
end

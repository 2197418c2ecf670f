-- wrk script: GET the URL's path and query, each request with the next API key of BENCH_KEYS.
--   BENCH_KEYS=keys wrk -t2 -c64 -d10s -s bench/get_with_keys.lua 'http://127.0.0.1:8778/buy_orders?page_size=10'
dofile("bench/api_keys.lua")

local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  load_api_keys(id)
end

request = function()
  return wrk.format("GET", nil, { ["Authorization"] = next_api_key() })
end

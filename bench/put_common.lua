-- Shared by the wrk scripts that PUT /buy_order (bench/put_buy_order.lua, bench/paced_put.lua):
-- a fresh idempotency key per request, non-2xx answers counted, a summary at the end. Each request
-- carries an API key of the file BENCH_KEYS (one per line, several clients), in turn.
-- wrk runs every script from the repository root, which is where dofile looks.
dofile("bench/api_keys.lua")
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init_common()
  math.randomseed(os.time() * 1000 + id)
  non2xx = 0
  load_api_keys(id)
end

local function uuid()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

request = function()
  local body = '{"currency":"USD","amount":"10.00","idempotence_key":"' .. uuid() .. '"}'
  return wrk.format("PUT", "/buy_order", { ["Content-Type"] = "application/json", ["Authorization"] = next_api_key() }, body)
end

response = function(status)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

done = function(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do failed = failed + thread:get("non2xx") end
  io.write(string.format("orders/s: %.0f (%d requests in %.1f s)\n",
    summary.requests / (summary.duration / 1e6), summary.requests, summary.duration / 1e6))
  io.write(string.format("latency from send: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("non-2xx answers: %d, socket errors: %d\n",
    failed, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end

-- wrk script: PUT /buy_order paced to a total rate (bench/paced_put.lua), each request with the next
-- of the API keys in BENCH_KEYS (comma-separated), so the orders spread over their clients.
--   wrk -t2 -c64 -d30s -s bench/stream_put.lua http://127.0.0.1:8777 -- RATE THREADS
dofile("bench/paced_put.lua")

local keys = {}
for key in string.gmatch(os.getenv("BENCH_KEYS") or "", "[^,]+") do table.insert(keys, key) end
local sent = 0

local function uuid()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
    return string.format("%x", (c == "x") and math.random(0, 15) or math.random(8, 11))
  end))
end

request = function()
  sent = sent + 1
  local key = keys[(sent + id) % #keys + 1]
  local body = '{"currency":"USD","amount":"10.00","idempotence_key":"' .. uuid() .. '"}'
  return wrk.format("PUT", "/buy_order", { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key }, body)
end

-- wrk script: PUT /buy_order with a fresh idempotency key per request, paced to a total rate.
--   wrk -t2 -c64 -d30s -s bench/paced_put.lua http://127.0.0.1:8777 -- RATE THREADS
-- wrk2 (which paces by itself) is not packaged. Each thread releases its share of the rate as
-- evenly spaced slots; a connection takes the next slot and waits for it (delay()). When the server
-- is slower than the rate, slots are already due and the load is as fast as the connections allow.
-- Latency is measured by wrk from each send, not from the slot.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_usec; } paced_timeval;
  int gettimeofday(paced_timeval *tv, void *tz);
]]
local clock = ffi.new("paced_timeval")

local function now_ms()
  ffi.C.gettimeofday(clock, nil)
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_usec) / 1000
end

local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  math.randomseed(os.time() * 1000 + id)
  -- Each thread runs this in a Lua state of its own: the thread count comes as an argument.
  interval_ms = tonumber(args[2]) * 1000 / tonumber(args[1])
  slots = 0
  start_ms = nil
  non2xx = 0
end

function delay()
  local now = now_ms()
  start_ms = start_ms or now
  local due = start_ms + slots * interval_ms
  slots = slots + 1
  return math.max(0, math.floor(due - now))
end

local function uuid()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

request = function()
  local body = '{"currency":"USD","amount":"10.00","idempotence_key":"' .. uuid() .. '"}'
  return wrk.format("PUT", "/buy_order", { ["Content-Type"] = "application/json" }, body)
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

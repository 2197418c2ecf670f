-- wrk script: PUT /buy_order paced to a total rate, a fresh idempotency key per request.
--   wrk -t2 -c128 -d30s -s bench/paced_put.lua http://127.0.0.1:8777 -- RATE THREADS
-- wrk2 (which paces by itself) is not packaged. Each thread releases its share of the rate as
-- evenly spaced slots; a connection takes the next slot and waits for it (delay()). When the server
-- is slower than the rate, slots are already due and the load is as fast as the connections allow.
-- Latency is measured by wrk from each send, not from the slot.
dofile("bench/put_common.lua")

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

function init(args)
  init_common()
  -- Each thread runs this in a Lua state of its own: the thread count comes as an argument.
  interval_ms = tonumber(args[2]) * 1000 / tonumber(args[1])
  slots = 0
  start_ms = nil
end

function delay()
  local now = now_ms()
  start_ms = start_ms or now
  local due = start_ms + slots * interval_ms
  slots = slots + 1
  return math.max(0, math.floor(due - now))
end

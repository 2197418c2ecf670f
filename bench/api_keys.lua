-- API keys for the wrk scripts: the file named by BENCH_KEYS, one key per line (bench/cluster.sh's
-- make_bench_keys, bench/fetch_buy_orders.sh). Each thread starts at another key and takes them in
-- turn. Without BENCH_KEYS requests carry no key (a cluster with ANONYMOUS_CLIENT set).
local headers = {}
local turn = 0

function load_api_keys(thread_id)
  local path = os.getenv("BENCH_KEYS")
  if not path or path == "" then return end
  for line in io.lines(path) do
    if line ~= "" then table.insert(headers, "Bearer " .. line) end
  end
  assert(#headers > 0, "no API key in " .. path)
  turn = thread_id
end

-- The Authorization value of the next request, or nil (no header) without keys.
function next_api_key()
  if #headers == 0 then return nil end
  turn = turn + 1
  return headers[turn % #headers + 1]
end

-- wrk script for bench/senders.sh: POST $BENCH_BODY with the headers in
-- $BENCH_HEADERS (a file of "Name: value" lines, e.g. a Slack signature),
-- and, with BENCH_IDS=1, a new X-Delivery id on each request (run, thread
-- and counter), so that every request is a new delivery of a
-- deduplicating hook.
local f = assert(io.open(assert(os.getenv("BENCH_BODY"), "BENCH_BODY not set"), "rb"))
local body = f:read("*a")
f:close()
local headers = { ["Content-Type"] = "application/json" }
local hf = os.getenv("BENCH_HEADERS")
if hf and hf ~= "" then
  for line in io.lines(hf) do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name then headers[name] = value end
  end
end
local ids = os.getenv("BENCH_IDS") == "1"
local run = tonumber(os.getenv("BENCH_RUN") or "0")

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local counter = 0
function request()
  if ids then
    counter = counter + 1
    headers["X-Delivery"] = string.format("%d-%d-%d", run, tid or 0, counter)
  end
  return wrk.format("POST", nil, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "WRK requests=%d rps=%.1f non2xx3xx=%d connect=%d read=%d write=%d timeout=%d " ..
    "p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    summary.requests, summary.requests / secs, e.status, e.connect, e.read, e.write,
    e.timeout, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end

-- wrk script: POST the JSON body in $BENCH_BODY (a file) to the URL given to
-- wrk, and print one machine-readable summary line at the end.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open(assert(os.getenv("BENCH_BODY"), "BENCH_BODY not set"), "rb"))
wrk.body = f:read("*a")
f:close()

-- BENCH_PORTS="18080,18083": wrk's threads go to the servers on these
-- ports of 127.0.0.1 in turn (the same path on each), as a load balancer
-- would spread the connections.
local ports = os.getenv("BENCH_PORTS")
if ports and ports ~= "" then
  local list = {}
  for port in string.gmatch(ports, "%d+") do table.insert(list, port) end
  local next_port = 0
  function setup(thread)
    thread.addr = wrk.lookup("127.0.0.1", list[next_port % #list + 1])[1]
    next_port = next_port + 1
  end
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

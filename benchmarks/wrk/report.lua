-- wrk's reporting for benchmarks/http.sh and benchmarks/soak.sh.
--
-- Counts the responses that are not 2xx in every thread (wrk itself counts
-- only status >= 400) and, when the run is done, prints one line from wrk's
-- own measurements (requests, duration, latency percentiles, socket errors):
--
--   RESULT requests=N seconds=S rps=R p50_ms=M p99_ms=M non2xx=N socket_errors=N connect=N read=N write=N timeout=N
--
-- When a pool comes first (the scripts write `bodies = {...}`, JSON request
-- bodies, into a temporary file and append this one), every request is a
-- POST of the next body; each thread starts at its own place in the pool.

local threads = {}

if bodies then
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  if bodies then
    position = (id * 7919) % #bodies
  end
end

if bodies then
  function request()
    position = position % #bodies + 1
    return wrk.format(nil, nil, nil, bodies[position])
  end
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f non2xx=%d socket_errors=%d " ..
    "connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    bad, e.connect + e.read + e.write + e.timeout, e.connect, e.read, e.write, e.timeout))
end

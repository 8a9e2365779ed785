-- wrk -s bench/wrk/post.lua URL -- BODY_FILE CONTENT_TYPE [DELAY_MS]
-- POSTs the bytes of BODY_FILE with CONTENT_TYPE on every request, each connection
-- waiting DELAY_MS (default 0) after an answer before it sends the next, and prints
-- one JSON line at the end: requests, seconds, responses that are not 2xx or 3xx, socket errors, latency.
local request_bytes
local pause = 0

function init(args)
  local f = assert(io.open(args[1], "rb"))
  local body = f:read("*a")
  f:close()
  request_bytes = wrk.format("POST", nil, {["Content-Type"] = args[2]}, body)
  pause = tonumber(args[3] or "0")
end

function delay()
  return pause
end

function request()
  return request_bytes
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.6f, "non_2xx": %d, "socket_errors": %d, ' ..
    '"p50_ms": %.3f, "p99_ms": %.3f}\n',
    summary.requests, summary.duration / 1e6, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3))
end

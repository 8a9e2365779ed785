-- wrk -s bench/wrk/statuses.lua URL -- BODY_FILE CONTENT_TYPE
-- bench/wrk/post.lua's requests, with the answers counted by status: 200, 503 and the
-- rest apart (post.lua counts only "not 2xx"). Prints one JSON line at the end: the
-- counts, socket errors by kind, and latency percentiles over every answer, whatever
-- its status (wrk times each answer from its request's first byte written).
local request_bytes
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(args[1], "rb"))
  local body = f:read("*a")
  f:close()
  request_bytes = wrk.format("POST", nil, {["Content-Type"] = args[2]}, body)
  ok, shed, other, retry_after = 0, 0, 0, 0
end

function request()
  return request_bytes
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  elseif status == 503 then
    shed = shed + 1
    if headers["Retry-After"] then retry_after = retry_after + 1 end
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local n = {ok = 0, shed = 0, other = 0, retry_after = 0}
  for _, t in ipairs(threads) do
    for k, _ in pairs(n) do n[k] = n[k] + t:get(k) end
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.6f, "ok": %d, "shed": %d, "other": %d, ' ..
    '"retry_after": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, ' ..
    '"timeouts": %d, "p50_ms": %.3f, "p99_ms": %.3f, "p999_ms": %.3f, "max_ms": %.3f}\n',
    summary.requests, summary.duration / 1e6, n.ok, n.shed, n.other, n.retry_after,
    e.connect, e.read, e.write, e.timeout, latency:percentile(50) / 1e3,
    latency:percentile(99) / 1e3, latency:percentile(99.9) / 1e3, latency.max / 1e3))
end

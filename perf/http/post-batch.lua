-- wrk script: POST /v1/accounts/{branch}/{account}/batches with BATCH deposit entries (code 100) per request,
-- a fresh correlationId per entry, accounts round-robin over ACCOUNTS accounts numbered from FIRST on branch 1.
-- Environment: TOKEN (bearer), BATCH (entries per request, default 1), ACCOUNTS (default 1000), FIRST (default 1),
-- RATE (total requests/s to pace at; 0 = as fast as possible), CONNECTIONS (wrk -c, needed with RATE), DELAY_MS
-- (pause after each response, overrides RATE), PATH_OVERRIDE (e.g. /perf/noop).
local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  table.insert(threads, thread)
  next_id = next_id + 1
end

function init(args)
  token = os.getenv("TOKEN") or ""
  batch = tonumber(os.getenv("BATCH") or "1")
  accounts = tonumber(os.getenv("ACCOUNTS") or "1000")
  first = tonumber(os.getenv("FIRST") or "1")
  rate = tonumber(os.getenv("RATE") or "0")
  delay_ms = tonumber(os.getenv("DELAY_MS") or "-1")
  connections = tonumber(os.getenv("CONNECTIONS") or "1")
  path_override = os.getenv("PATH_OVERRIDE")
  threads_count = tonumber(os.getenv("THREADS") or "1")
  counter = 0
  errors = 0
  headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
  run = tostring(os.time())
  -- Fixed fragments around the per-request prefix, built once: a request costs one table.concat (the client shares the cores).
  pieces = { '{"entries":[' }
  for i = 1, batch do
    local sep = (i > 1) and "," or ""
    table.insert(pieces, sep .. '{"entryKind":"ledger","correlationId":"')
    table.insert(pieces, "")
    table.insert(pieces, '-' .. i .. '","entryType":100,"amount":{"value":1,"currency":"USD"}}')
  end
  table.insert(pieces, "]}")
end

function request()
  counter = counter + 1
  local account = first + ((counter * threads_count + id) % accounts)
  local prefix = "w" .. run .. "-" .. id .. "-" .. counter
  for i = 1, batch do pieces[3 * i] = prefix end
  local path = path_override or ("/v1/accounts/1/" .. account .. "/batches")
  return wrk.format("POST", path, headers, table.concat(pieces))
end

-- With RATE set, each connection waits so that all of them together send RATE requests/s (open-loop pacing).
-- DELAY_MS (calibrated by run-http.sh) wins: wrk waits that long after each response, so the pause is the
-- connection's period minus the latency the calibration run measured.
function delay()
  if delay_ms >= 0 then return delay_ms end
  if rate > 0 then return connections * 1000 / rate end
  return 0
end

function response(status, headers, body)
  if status ~= 201 then
    errors = errors + 1
    if errors <= 3 then io.stderr:write("status " .. status .. ": " .. string.sub(body or "", 1, 300) .. "\n") end
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do failed = failed + (thread:get("errors") or 0) end
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.0f entries_per_s=%.0f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f non201=%d socket_errors=%d\n",
    summary.requests, seconds, summary.requests / seconds, summary.requests * tonumber(os.getenv("BATCH") or "1") / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, latency.max / 1000,
    failed, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end

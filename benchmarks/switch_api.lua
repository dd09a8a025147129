-- wrk script for benchmarks/switch_api.py: POSTs the switch's authorize body with a new call_id per
-- request (run tag, thread number, counter), counts answers that are not 200 or, with check=1, not
-- "allowed":true, and prints one JSON line with the percentiles when the run is done.
-- Arguments (after `--`): run tag, token key, check (1 or 0).

local threads = {}
local next_thread = 1

function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

function init(args)
  run = args[1] or tostring(os.time())
  check = args[3] == "1"
  wrk.method = "POST"
  wrk.headers["Authorization"] = "Token " .. (args[2] or "")
  wrk.headers["Content-Type"] = "application/json"
  sent = 0
  bad = 0
  first_bad = ""
end

function request()
  sent = sent + 1
  local body = string.format('{"call_id":"%s-%d-%d","source_ip":"127.0.0.2","dialed":"447911123456",'
    .. '"cli":"442071234567","switch_ip":"127.0.0.1"}', run, thread_id, sent)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status ~= 200 or (check and not string.find(body, '"allowed":true', 1, true)) then
    bad = bad + 1
    if first_bad == "" then
      first_bad = status .. " " .. string.sub(body, 1, 200)
    end
  end
end

local function quote(text)
  return '"' .. string.gsub(text, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end) .. '"'
end

function done(summary, latency, requests)
  local total_bad, first = 0, ""
  for _, thread in ipairs(threads) do
    total_bad = total_bad + thread:get("bad")
    if first == "" then first = thread:get("first_bad") end
  end
  local e = summary.errors
  -- The latency curve from the 1st to the 100th percentile (finer above the 90th), so that the
  -- rounds of a phase can be pooled into one distribution.
  local curve = {}
  for p = 1, 89 do curve[#curve + 1] = latency:percentile(p) end
  for p = 900, 999 do curve[#curve + 1] = latency:percentile(p / 10) end
  curve[#curve + 1] = latency.max
  io.write(string.format('WRK {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
    .. '"max_us":%d,"bad":%d,"socket_errors":%d,"first_bad":%s,"curve_us":[%s]}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, total_bad, e.connect + e.read + e.write + e.timeout, quote(first),
    table.concat(curve, ",")))
end

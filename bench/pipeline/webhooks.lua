-- wrk script: POSTs pre-signed webhooks from webhooks.tsv (each thread its own share), once
-- each; with RATE set, each thread sends on a fixed schedule (its share of RATE per second,
-- from the wall clock), so the rate offered does not fall when responses slow down, as long as
-- a connection is free (a gap after each response would offer CONNECTIONS / (gap + latency)).
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } baraza_timespec;
  int clock_gettime(int clock_id, baraza_timespec* tp);
]]
local now_ts = ffi.new("baraza_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, now_ts)  -- CLOCK_MONOTONIC
  return tonumber(now_ts.tv_sec) * 1000 + tonumber(now_ts.tv_nsec) / 1e6
end
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local file = os.getenv("WEBHOOKS") or "webhooks.tsv"
  local nthreads = tonumber(os.getenv("THREADS") or "1")
  bodies, sigs = {}, {}
  local i = 0
  for line in io.lines(file) do
    if i % nthreads == id then
      local tab = line:find("\t", 1, true)
      sigs[#sigs + 1] = line:sub(1, tab - 1)
      bodies[#bodies + 1] = line:sub(tab + 1)
    end
    i = i + 1
  end
  next_index = 1
  local rate = tonumber(os.getenv("RATE") or "0")
  gap_ms = rate > 0 and (nthreads * 1000.0 / rate) or 0
  next_send_ms = nil
end

-- The wait before this thread's next request: until its slot on the schedule.
function delay()
  if gap_ms == 0 then
    return 0
  end
  local now = now_ms()
  local slot = next_send_ms or now
  next_send_ms = slot + gap_ms
  return math.max(0, slot - now)
end

function request()
  local n = next_index
  if n > #bodies then
    n = #bodies  -- out of fresh bodies: the last one again (a duplicate, counted apart)
  end
  next_index = next_index + 1
  return wrk.format("POST", "/webhook/whatsapp",
    {["Content-Type"] = "application/json", ["X-Hub-Signature-256"] = sigs[n]}, bodies[n])
end

function done(summary, latency, requests)
  io.write(string.format("p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end

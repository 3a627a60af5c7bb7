#!/usr/bin/env bash
# End-to-end pipeline benchmark: wrk POSTs signed webhooks (unique message ids, 100 tenants) to
# `baraza serve`, which stores, answers and sends each reply to a mock Graph API on loopback.
# Reports webhooks/s and ack latency, then waits for the pipeline to drain and checks every
# accepted message was stored once and answered once.
#
# Usage: bench/pipeline/run.sh sqlite|postgresql [DURATION_S=30] [RATE=0 (as fast as possible)]
#        [CONNECTIONS=32]
# Needs a build with tests and benchmarks (build/), wrk, and for postgresql the throwaway server
# script. PostgreSQL keeps synchronous_commit on (the default).
set -euo pipefail
cd "$(dirname "$0")/../.."
dialect=${1:-sqlite}
duration=${2:-30}
rate=${3:-0}
connections=${4:-32}
threads=2
tenants=100
count=${WEBHOOKS:-$(( (rate > 0 ? rate : 12000) * duration ))}
secret=bench-app-secret
work=$(mktemp -d /tmp/baraza-bench.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -d "$work/pg" ]] && tools/throwaway-postgres.sh stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "generating $count signed webhooks for $tenants tenants..."
build/bench/webhook_gen "$work" "$tenants" "$count" "$secret"

build/bench/bench_mock_graph > "$work/mock.port" &
pids+=($!)
for _ in $(seq 1 50); do [[ -s "$work/mock.port" ]] && break; sleep 0.1; done
mock="http://127.0.0.1:$(cat "$work/mock.port")"

if [[ "$dialect" == postgresql ]]; then
  admin_url=$(tools/throwaway-postgres.sh start "$work/pg" | tail -1)
  psql -q "$admin_url" -c "CREATE DATABASE bench OWNER baraza_app" > /dev/null
  url=${admin_url/baraza@/baraza_app@}
  url=${url%/postgres}/bench
else
  url="sqlite://$work/bench.db"
fi
export BARAZA_DATABASE_URL="$url" BARAZA_SECURITY_MASTER_KEY_FILE="$work/master.key"
export BARAZA_ADMIN_TOKEN=bench-operator
cat > "$work/config.yaml" <<YAML
server: { listen: "127.0.0.1:0", threads: ${HTTP_THREADS:-32}, access_log: false }
database: { pool_size: 8 }
log: { level: warn }
plugins: { dir: build/plugins, load: [whatsapp, static_reply] }
channels:
  whatsapp:
    graph_base_url: "$mock"
    apps: [{ name: default, app_secret: "$secret" }]
pipeline: { pair_interval_ms: 0, workers: ${WORKERS:-4}, senders: ${SENDERS:-8} }
YAML
build/baraza tenant import --config "$work/config.yaml" "$work"/tenant-*.yaml > /dev/null

build/baraza serve --config "$work/config.yaml" 2> "$work/engine.log" &
engine=$!
pids+=($engine)
for _ in $(seq 1 100); do
  port=$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$work/engine.log" 2>/dev/null | grep -o '[0-9]*$' || true)
  [[ -n "$port" ]] && break
  sleep 0.1
done
if [[ -z "$port" ]]; then
  # At log level warn the "listening" line is not printed: find the port from the socket.
  for _ in $(seq 1 50); do
    port=$(ss -ltnpH 2>/dev/null | grep "pid=$engine," | grep -o '127.0.0.1:[0-9]*' | head -1 | cut -d: -f2 || true)
    [[ -n "$port" ]] && break
    sleep 0.1
  done
fi
[[ -n "$port" ]] || { cat "$work/engine.log"; exit 1; }

echo "== $dialect: wrk -t$threads -c$connections -d${duration}s, rate ${rate:-max}/s"
WEBHOOKS="$work/webhooks.tsv" THREADS=$threads RATE=$rate CONNECTIONS=$connections \
  wrk -t$threads -c"$connections" -d"${duration}s" -s bench/pipeline/webhooks.lua \
  "http://127.0.0.1:$port" | tee "$work/wrk.out" | grep -E "Requests/sec|requests in|Non-2xx|p50_ms|Socket"
echo "engine RSS after load: $(awk '/VmRSS/ {print $2, $3}' /proc/$engine/status)"

stats() { curl -s -H "Authorization: Bearer bench-operator" "http://127.0.0.1:$port/admin/v1/pipeline/stats"; }
echo "draining..."
start=$(date +%s)
while :; do
  s=$(stats)
  busy=$(echo "$s" | { grep -o '"\(pending\|processing\|sending\)":[0-9]*' || true; } | awk -F: '{n += $2} END {print n + 0}')
  [[ "$busy" == 0 ]] && break
  (( $(date +%s) - start > ${DRAIN_LIMIT_S:-600} )) && { echo "not drained in time"; break; }
  (( ($(date +%s) - start) % 10 == 0 )) && echo "  still busy: $busy"
  sleep 1
done
echo "drained in $(( $(date +%s) - start )) s"
echo "stats: $(stats)"
echo "mock Graph API received: $(curl -s "$mock/count") sends"

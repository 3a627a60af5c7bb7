#!/usr/bin/env bash
# End-to-end: requests/s of GET /health under wrk, with the engine's keep-alive default and, in
# the same run, with every request forcing "Connection: close" (what Pistache 0.0.5 would do
# without the engine's fix). Also prints the idle RSS of `baraza serve`.
# Usage: bench/http_health.sh [DURATION] (default 10s); needs build/baraza and wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10s}
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT

BARAZA_SERVER_LISTEN=127.0.0.1:0 BARAZA_SERVER_ACCESS_LOG=false BARAZA_PLUGINS_DIR=build/plugins \
  BARAZA_DATABASE_URL="sqlite://$work/bench.db" build/baraza serve 2>"$work/log" &
pid=$!
for _ in $(seq 1 100); do
  port=$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$work/log" 2>/dev/null | grep -o '[0-9]*$' || true)
  [[ -n "$port" ]] && break
  sleep 0.1
done
[[ -n "$port" ]] || { cat "$work/log"; exit 1; }
sleep 1
echo "idle RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
echo "== keep-alive (engine default): wrk -t1 -c64 -d$duration"
wrk -t1 -c64 -d"$duration" "http://127.0.0.1:$port/health" | grep -E "Requests/sec|Latency|requests in"
echo "== Connection: close on every request"
wrk -t1 -c64 -d"$duration" -H "Connection: close" "http://127.0.0.1:$port/health" | grep -E "Requests/sec|Latency|requests in"
echo "RSS after load: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"

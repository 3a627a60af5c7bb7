#!/usr/bin/env bash
# End-to-end pipeline benchmark, the job ../shared/peer-bench's Node server does: wrk POSTs
# signed webhooks (unique message ids, 100 tenants with ten FAQ entries each, 5,000 returning
# customers) to `baraza serve`, which stores each, answers it (faq, then static_reply) and sends
# the reply to a mock Graph API on loopback. Reports webhooks acknowledged per second with their
# latency, then waits for every reply and reports replies per second during the load and over
# the whole run, and the time from webhook stored to reply received (bench_report).
#
# Usage: bench/pipeline/run.sh sqlite|postgresql [DURATION_S=30] [RATE=0 (as fast as possible)]
#        [CONNECTIONS=32]
# PostgreSQL runs as production does: fsync and synchronous commit on, the engine connected as
# a role without superuser (row-level security in force). Needs a build with tests and
# benchmarks (build/) and wrk. Env: WORKERS, SENDERS, BATCH, LINGER_MS, INTAKE_LATE_MS (0: no
# back-pressure), HTTP_THREADS, POOL,
# CUSTOMERS, DRAIN_LIMIT_S, METRICS=1 (what /metrics counted over 10 s in the middle of the
# load: SQLite's write turn per thread, the inbox's group commits and the webhook handler's
# latency; needs DURATION_S of 15 or more), PGSTATS=1 (PostgreSQL: what its statements cost,
# planning included, and what each table and index read, after the run), KEEP=1 (leave the work folder for a look), ENGINE_WRAP (a command
# that runs instead of build/baraza with its arguments, for the import and the server: an older
# binary for an A/B, or a preloaded allocator).
set -euo pipefail
cd "$(dirname "$0")/../.."
dialect=${1:-sqlite}
duration=${2:-30}
rate=${3:-0}
connections=${4:-32}
if [[ "${METRICS:-0}" == 1 ]] && (( duration < 15 )); then
  echo "METRICS=1 needs a load of 15 s or more" >&2
  exit 2
fi
threads=2
tenants=100
count=${WEBHOOKS:-$(( (rate > 0 ? rate : 6000) * duration ))}
secret=bench-app-secret
work=$(mktemp -d /tmp/baraza-bench.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ "${KEEP:-0}" == 1 ]] && { echo "kept $work (its database still runs)"; return; }
  [[ -d "$work/pg" ]] && tools/throwaway-postgres.sh stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "generating $count signed webhooks for $tenants tenants..."
build/bench/webhook_gen "$work" "$tenants" "$count" "$secret" "${CUSTOMERS:-5000}"

build/bench/bench_mock_graph > "$work/mock.port" &
pids+=($!)
for _ in $(seq 1 50); do [[ -s "$work/mock.port" ]] && break; sleep 0.1; done
mock="http://127.0.0.1:$(cat "$work/mock.port")"

if [[ "$dialect" == postgresql ]]; then
  admin_url=$(BARAZA_PG_DURABLE=1 tools/throwaway-postgres.sh start "$work/pg" | tail -1)
  psql -q "$admin_url" -c "CREATE DATABASE bench OWNER baraza_app" > /dev/null
  psql -qtA "$admin_url" -c "SHOW fsync" | sed 's/^/postgresql fsync: /'
  url=${admin_url/baraza@/baraza_app@}
  url=${url%/postgres}/bench
else
  url="sqlite://$work/bench.db"
fi
export BARAZA_DATABASE_URL="$url" BARAZA_SECURITY_MASTER_KEY_FILE="$work/master.key"
export BARAZA_ADMIN_TOKEN=bench-operator
cat > "$work/config.yaml" <<YAML
server: { listen: "127.0.0.1:0", threads: ${HTTP_THREADS:-32}, access_log: false }
database: { pool_size: ${POOL:-12} }
log: { level: info }
plugins: { dir: build/plugins, load: [whatsapp, faq, static_reply] }
channels:
  whatsapp:
    graph_base_url: "$mock"
    apps: [{ name: default, app_secret: "$secret" }]
pipeline:
  pair_interval_ms: 0
  workers: ${WORKERS:-4}
  senders: ${SENDERS:-16}
  batch_size: ${BATCH:-256}
  batch_linger_ms: ${LINGER_MS:-50}
  intake_late_ms: ${INTAKE_LATE_MS:-1000}
YAML
${ENGINE_WRAP:-} build/baraza tenant import --config "$work/config.yaml" "$work"/tenant-*.yaml > /dev/null
# PGSETUP="SQL": run as the superuser on the migrated database before the load (an experiment
# with a setting or a storage parameter before it becomes a migration).
if [[ "$dialect" == postgresql && -n "${PGSETUP:-}" ]]; then
  psql -q "${admin_url%/postgres}/bench" -c "$PGSETUP"
fi
# PGSTATS=1 also counts each statement's planning (pg_stat_statements' plans and plan time).
if [[ "$dialect" == postgresql && "${PGSTATS:-0}" == 1 ]]; then
  psql -q "${admin_url%/postgres}/bench" \
    -c "ALTER DATABASE bench SET pg_stat_statements.track_planning = on"
fi

${ENGINE_WRAP:-} build/baraza serve --config "$work/config.yaml" 2> "$work/engine.log" &
engine=$!
pids+=($engine)
port=
for _ in $(seq 1 300); do
  port=$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$work/engine.log" 2>/dev/null | grep -o '[0-9]*$' || true)
  [[ -n "$port" ]] && break
  sleep 0.1
done
[[ -n "$port" ]] || { cat "$work/engine.log"; exit 1; }

if [[ "$dialect" == postgresql ]]; then
  psql -qtA "${admin_url%/postgres}/bench" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" \
    -c "SELECT pg_stat_reset()" -c "SELECT pg_stat_statements_reset()" \
    -c "SELECT pg_stat_reset_shared('wal')" > /dev/null
fi
scrape() {
  curl -s -H "Authorization: Bearer bench-operator" "http://127.0.0.1:$port/metrics" |
    grep -E '^baraza_sqlite_write_(wait|hold)_seconds_total|^baraza_inbox_commit_seconds_(bucket|sum|count)|^baraza_inbox_claimed_events_total|^baraza_inbox_claims_total|^baraza_outbox_(claimed|handed)_sends_total|^baraza_outbox_room_waits_total|^baraza_http_request_duration_seconds_(bucket|sum|count)\{route="/webhook' || true
}
if [[ "${METRICS:-0}" == 1 ]]; then
  # Ten seconds from a third into the load, past the start-up and before the end.
  ( sleep $(( duration / 3 )); scrape > "$work/metrics.0"; sleep 10; scrape > "$work/metrics.1" ) &
  pids+=($!)
  scraper=$!
fi
echo "== $dialect: wrk -t$threads -c$connections -d${duration}s, rate ${rate:-max}/s"
WEBHOOKS="$work/webhooks.tsv" THREADS=$threads RATE=$rate CONNECTIONS=$connections \
  wrk -t$threads -c"$connections" -d"${duration}s" -s bench/pipeline/webhooks.lua \
  "http://127.0.0.1:$port" | tee "$work/wrk.out" | grep -E "Requests/sec|requests in|Non-2xx|p50_ms|Socket"
echo "engine RSS after load: $(awk '/VmRSS/ {print $2, $3}' /proc/$engine/status)"

if [[ "${METRICS:-0}" == 1 ]]; then
  wait "$scraper" || true
  echo "/metrics over 10 s of the load (the change in each):"
  # The value is the last field; the name and labels before it may hold spaces.
  awk '{ v = $NF; k = $0; sub(/ [^ ]*$/, "", k) } FNR == NR { before[k] = v; next }
       { d = v - before[k]; if (d != 0) printf "  %12.4f  %s\n", d, k }' \
    "$work/metrics.0" "$work/metrics.1"
fi
stats() { curl -s -H "Authorization: Bearer bench-operator" "http://127.0.0.1:$port/admin/v1/pipeline/stats${1:-}"; }
echo "draining..."
# The mock's count is polled; the database only once replies stop coming (its queue counts
# cost the database work the engine is being measured on).
start=$(date +%s)
last=-1
while :; do
  sent=$(curl -s "$mock/count")
  if [[ "$sent" == "$last" ]]; then
    s=$(stats "?queues=1")
    busy=$(echo "$s" | { grep -o '"\(pending\|processing\|sending\)":[0-9]*' || true; } | awk -F: '{n += $2} END {print n + 0}')
    [[ "$busy" == 0 ]] && break
  fi
  last=$sent
  (( $(date +%s) - start > ${DRAIN_LIMIT_S:-300} )) && { echo "not drained in time"; break; }
  sleep 1
done
echo "stats: $(stats)"
# CPU used by the engine and by PostgreSQL (every backend), per reply, over the whole run.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
engine_ticks=$(ticks "$engine")
pg_ticks=0
if [[ "$dialect" == postgresql ]]; then
  postmaster=$(head -1 "$work/pg/data/postmaster.pid")
  for p in $postmaster $(pgrep -P "$postmaster"); do pg_ticks=$((pg_ticks + $(ticks "$p"))); done
fi
sent=$(curl -s "$mock/count")
hz=$(getconf CLK_TCK)
awk -v e="$engine_ticks" -v p="$pg_ticks" -v n="$sent" -v hz="$hz" 'BEGIN {
  if (n > 0) printf "cpu per reply: engine %.0f us, postgresql %.0f us\n", e / hz * 1e6 / n, p / hz * 1e6 / n }'
curl -s "$mock/sends" > "$work/sends.tsv"
build/bench/bench_report "$url" "$work/sends.tsv" "$duration"
if [[ "$dialect" == postgresql && "${PGSTATS:-0}" == 1 ]]; then
  # Where PostgreSQL's work went: rows read per table and index, transactions.
  psql -q "${admin_url%/postgres}/bench" \
    -c "SELECT xact_commit, xact_rollback, deadlocks, tup_returned, tup_fetched FROM pg_stat_database WHERE datname = 'bench'" \
    -c "SELECT wal_records, wal_fpi, pg_size_pretty(wal_bytes) AS wal, wal_sync FROM pg_stat_wal" \
    -c "SELECT relname, seq_scan, seq_tup_read, idx_scan, idx_tup_fetch, n_tup_ins, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables ORDER BY seq_tup_read + idx_tup_fetch DESC LIMIT 10" \
    -c "SELECT indexrelname, idx_scan, idx_tup_read FROM pg_stat_user_indexes ORDER BY idx_tup_read DESC LIMIT 10" \
    -c "SELECT calls, plans, round(total_plan_time) AS plan_ms, round(total_exec_time) AS ms, round(total_exec_time * 1000 / NULLIF(calls, 0)) AS us_per_call, shared_blks_hit / NULLIF(calls, 0) AS blocks_per_call, wal_bytes / NULLIF(calls, 0) AS wal_per_call, left(query, 80) FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 15" \
    -c "SELECT calls, pg_size_pretty(wal_bytes) AS wal, wal_records, left(query, 80) FROM pg_stat_statements ORDER BY wal_bytes DESC LIMIT 8" \
    -c "SELECT calls, round(max_exec_time) AS max_ms, round(mean_exec_time::numeric, 2) AS mean_ms, left(query, 100) FROM pg_stat_statements ORDER BY max_exec_time DESC LIMIT 6"
fi

#!/usr/bin/env bash
# What the console's analytics route costs on 90 days of a busy tenant: one tenant with
# PER_DAY inbound messages and as many bot replies a day (default 2,000: 360,000 rows) and its
# usage counters, written straight into the database, then `GET .../analytics?days=90` asked
# COUNT times (default 30) through the engine. Prints the first view (which computes each
# finished day's median reply time and keeps it in reply_medians) and the later views' p50 and
# max.
#
# Usage: bench/analytics/run.sh sqlite|postgresql [PER_DAY=2000] [COUNT=30]
# PostgreSQL as production runs it: fsync on, the engine as a role without superuser.
# Needs build/ (the engine and its plugins).
set -euo pipefail
cd "$(dirname "$0")/../.."
dialect=${1:-sqlite}
per_day=${2:-2000}
count=${3:-30}
work=$(mktemp -d /tmp/baraza-analytics.XXXXXX)
chmod 755 "$work"
engine=
cleanup() {
  [[ -n "$engine" ]] && kill "$engine" 2>/dev/null && wait "$engine" 2>/dev/null || true
  [[ -d "$work/pg" ]] && tools/throwaway-postgres.sh stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

if [[ "$dialect" == postgresql ]]; then
  admin_url=$(BARAZA_PG_DURABLE=1 tools/throwaway-postgres.sh start "$work/pg" | tail -1)
  psql -q "$admin_url" -c "CREATE DATABASE bench OWNER baraza_app" > /dev/null
  url=${admin_url/baraza@/baraza_app@}
  url=${url%/postgres}/bench
  run_sql() { psql -q -v ON_ERROR_STOP=1 "${admin_url%/postgres}/bench" -c "$1" > /dev/null; }
else
  url="sqlite://$work/bench.db"
  run_sql() { sqlite3 "$work/bench.db" "$1"; }
fi
export BARAZA_DATABASE_URL="$url" BARAZA_SECURITY_MASTER_KEY_FILE="$work/master.key"
export BARAZA_ADMIN_TOKEN=bench-operator
cat > "$work/duka.yaml" <<'YAML'
slug: duka
name: Duka
channels:
  - { phone_number_id: "5551000", display_phone_number: "254700555000", access_token: EAAG-bench }
YAML
cat > "$work/config.yaml" <<'YAML'
server: { listen: "127.0.0.1:0", access_log: false }
plugins: { dir: build/plugins, load: [whatsapp, faq, static_reply] }
log: { level: info }
YAML
build/baraza tenant import --config "$work/config.yaml" "$work/duka.yaml" > /dev/null

days=90
total=$((per_day * days))
contact=00000000-0000-4000-8000-000000000001
conversation=00000000-0000-4000-9000-000000000001
echo "writing $total inbound messages and $total replies over $days days ($dialect)..."
if [[ "$dialect" == postgresql ]]; then
  run_sql "
INSERT INTO contacts (tenant_id, id, channel_type, wa_id) SELECT id, '$contact', 'whatsapp', '254700000001' FROM tenants;
INSERT INTO conversations (tenant_id, id, contact_id, channel_account_id) SELECT tenant_id, '$conversation', '$contact', id FROM channel_accounts;
INSERT INTO messages (tenant_id, id, conversation_id, contact_id, direction, message_type, body, status, strategy, processing_ms, created_at, updated_at)
  SELECT t.id, gen_random_uuid(), '$conversation', '$contact', d.direction, 'text', 'hello', 'sent',
         CASE WHEN d.direction = 'outbound' THEN 'faq' END, CASE WHEN d.direction = 'outbound' THEN g % 500 END,
         now() - g * interval '1 second' * (86400.0 * $days / $total), now()
  FROM tenants t, generate_series(1, $total) g, (VALUES ('inbound'), ('outbound')) d(direction);
INSERT INTO usage_counters (tenant_id, scope, period, name, value)
  SELECT t.id, 'tenant', 'd:' || to_char(now() - d * interval '1 day', 'YYYY-MM-DD'), n, $per_day
  FROM tenants t, generate_series(0, $((days - 1))) d,
       unnest(ARRAY['inbound','outbound','faq_answers','ai_answers','human_replies','ai_calls','tokens','cost_microusd','escalations','unanswered']) n;
ANALYZE;"
else
  run_sql "
INSERT INTO contacts (tenant_id, id, channel_type, wa_id) SELECT id, '$contact', 'whatsapp', '254700000001' FROM tenants;
INSERT INTO conversations (tenant_id, id, contact_id, channel_account_id) SELECT tenant_id, '$conversation', '$contact', id FROM channel_accounts;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < $total)
INSERT INTO messages (tenant_id, id, conversation_id, contact_id, direction, message_type, body, status, strategy, processing_ms, created_at, updated_at)
  SELECT t.id, lower(hex(randomblob(16))), '$conversation', '$contact', d.direction, 'text', 'hello', 'sent',
         CASE WHEN d.direction = 'outbound' THEN 'faq' END, CASE WHEN d.direction = 'outbound' THEN n % 500 END,
         strftime('%Y-%m-%dT%H:%M:%f000Z', 'now', '-' || (n * 86400 * $days / $total) || ' seconds'), 'now'
  FROM tenants t, g, (SELECT 'inbound' AS direction UNION ALL SELECT 'outbound') d;
WITH RECURSIVE d(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n < $((days - 1))),
  names(n) AS (VALUES ('inbound'),('outbound'),('faq_answers'),('ai_answers'),('human_replies'),('ai_calls'),('tokens'),('cost_microusd'),('escalations'),('unanswered'))
INSERT INTO usage_counters (tenant_id, scope, period, name, value)
  SELECT t.id, 'tenant', 'd:' || date('now', '-' || d.n || ' days'), names.n, $per_day FROM tenants t, d, names;
ANALYZE;"
fi

build/baraza serve --config "$work/config.yaml" 2> "$work/engine.log" &
engine=$!
port=
for _ in $(seq 1 300); do
  port=$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$work/engine.log" 2>/dev/null | grep -o '[0-9]*$' || true)
  [[ -n "$port" ]] && break
  sleep 0.1
done
[[ -n "$port" ]] || { cat "$work/engine.log"; exit 1; }
ask() { curl -s -o "$work/answer.json" -w '%{time_total}\n' -H "Authorization: Bearer bench-operator" \
  "http://127.0.0.1:$port/admin/v1/tenants/duka/analytics?days=90"; }
# The first view computes and keeps the medians of the days that are over; later ones read them.
echo "analytics?days=90, first view: $(ask | awk '{printf "%.1f ms", $1 * 1000}')"
for _ in $(seq 1 "$count"); do ask; done | sort -n | awk -v n="$count" '
  { t[NR] = $1 * 1000 } END { printf "analytics?days=90, later views: p50 %.1f ms, max %.1f ms over %d requests\n", t[int((n + 1) / 2)], t[n], n }'
grep -o '"totals":{[^}]*}' "$work/answer.json" | cut -c1-160

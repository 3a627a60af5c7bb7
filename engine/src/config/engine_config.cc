#include "config/engine_config.h"

#include <algorithm>
#include <charconv>

#include "log/redactor.h"

namespace baraza {
namespace {

// Sections whose subtrees belong to plugins; each child is validated by that plugin's table.
const std::vector<std::string> kPluginSections = {"channels", "strategies"};

YAML::Node loadYamlFile(const std::string& file) {
  try {
    return YAML::LoadFile(file);
  } catch (const YAML::BadFile&) {
    throw ConfigError(file + ": cannot open config file");
  } catch (const YAML::ParserException& e) {
    throw ConfigError(file + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": YAML syntax error: " + e.msg);
  }
}

void emitJson(YAML::Emitter& out, const nlohmann::json& v) {
  if (v.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [k, child] : v.items()) {
      out << YAML::Key << k << YAML::Value;
      emitJson(out, child);
    }
    out << YAML::EndMap;
  } else if (v.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& child : v)
      emitJson(out, child);
    out << YAML::EndSeq;
  } else if (v.is_string()) {
    out << YAML::DoubleQuoted << v.get<std::string>();
  } else if (v.is_boolean()) {
    out << v.get<bool>();
  } else if (v.is_number_integer()) {
    out << v.get<long long>();
  } else if (v.is_null()) {
    out << YAML::Null;
  } else {
    out << v.dump();
  }
}

}  // namespace

const Schema& engineSchema() {
  static const Schema schema = {
      {"server.listen", KeyType::kString, "127.0.0.1:8080",
       "Address and port the HTTP server binds, as host:port (port 0 picks a free one)."},
      {"server.threads", KeyType::kInt, "2", "HTTP worker threads."},
      {"server.max_body_bytes", KeyType::kInt, "3145728",
       "Largest request body accepted; larger ones get 413."},
      {"server.shutdown_timeout_ms", KeyType::kInt, "10000",
       "On SIGTERM/SIGINT, how long in-flight requests may take to finish."},
      {"server.header_timeout_ms", KeyType::kInt, "10000",
       "A client that has not sent its whole request by then is cut off (slowloris guard)."},
      {"server.body_timeout_ms", KeyType::kInt, "30000",
       "A client that has sent its headers but not its whole body by then is cut off."},
      {"server.keepalive_timeout_ms", KeyType::kInt, "60000",
       "How long an idle keep-alive connection stays open."},
      {"server.access_log", KeyType::kBool, "true", "Write one log line per HTTP request."},
      {"server.channel_get_per_minute", KeyType::kInt, "30",
       "GET requests to a channel's webhook (Meta's handshake) one client address may make per "
       "minute, in bursts of as many; over it, 429 with Retry-After. 0: no limit."},
      {"server.connections_per_address", KeyType::kInt, "256",
       "Open connections one client address may hold; a further one is closed at once and "
       "counted in baraza_http_connections_refused_total. Behind a reverse proxy every client "
       "has the proxy's address: raise it or set 0 (no cap)."},
      {"database.url", KeyType::kString, "sqlite://data/baraza.db",
       "sqlite://PATH (embedded default) or postgresql://user:password@host:port/dbname; the "
       "password is masked when printed."},
      {"database.pool_size", KeyType::kInt, "4",
       "Connections in the pool. On SQLite, write transactions use one more connection of their "
       "own, "
       "and a checkpointing thread another (docs/storage.md)."},
      {"database.transaction_timeout_ms", KeyType::kInt, "15000",
       "PostgreSQL: a statement running longer is cancelled by the server (statement_timeout), "
       "and a transaction or health check still waiting a margin later (the larger of 2 s and a "
       "fifth) has its connection cut and opened again on next use: the server does not answer "
       "at all (a black-holed route). 0: neither. The CLI's commands run without it."},
      {"database.lease_timeout_ms", KeyType::kInt, "2000",
       "How long a request waits for a free connection before it fails."},
      {"database.migrations_dir", KeyType::kString, "",
       "Folder with postgresql/ and sqlite/ migrations; empty uses the ones built into the "
       "binary."},
      {"plugins.dir", KeyType::kString, "build/plugins", "Folder holding the plugin .so files."},
      {"console.enabled", KeyType::kBool, "true",
       "Serve the web console at /console (docs/console.md). It uses the admin API with the "
       "caller's own credentials, so it shows nothing an admin API call would not."},
      {"console.dir", KeyType::kString, "console",
       "Folder holding the console's static files (the repository's console/)."},
      {"console.chart_js", KeyType::kString, "/usr/share/javascript/chart.js/chart.min.js",
       "Chart.js as Debian's libjs-chart.js installs it, served at /console/vendor/chart.js for "
       "the analytics page."},
      {"plugins.load", KeyType::kStringList, std::nullopt,
       "Plugins to load by name (NAME.so in plugins.dir); absent loads every .so there."},
      {"security.master_key_file", KeyType::kString, "data/master.key",
       "File of the master key that will seal tenant secrets (read once sealed secrets land; not "
       "used yet)."},
      {"server.metrics_token", KeyType::kSecret, std::nullopt,
       "When set, GET /metrics needs `Authorization: Bearer <token>` (its labels name tenants); "
       "usually given as server.metrics_token_env."},
      {"admin.token", KeyType::kSecret, std::nullopt,
       "Operator bearer token for /admin/v1; usually given as admin.token_env."},
      {"pipeline.enabled", KeyType::kBool, "true",
       "Process inbox events and send replies in this process (false: only accept webhooks)."},
      {"pipeline.workers", KeyType::kInt, "4", "Threads processing inbox events in batches."},
      {"pipeline.batch_size", KeyType::kInt, "256",
       "Events a worker claims and processes in one transaction, at most: a larger batch shares "
       "its commit and the index pages it writes among more messages (bench/README.md). Below "
       "full load batches are smaller anyway."},
      {"pipeline.senders", KeyType::kInt, "8",
       "Threads sending replies: how many Graph API requests are in flight."},
      {"pipeline.waiting_workers", KeyType::kInt, "8",
       "Threads running strategies that wait on the network (AI providers): AI calls in "
       "flight."},
      {"pipeline.max_attempts", KeyType::kInt, "5",
       "Attempts before an event or a send is dead-lettered."},
      {"pipeline.retry_base_ms", KeyType::kInt, "1000",
       "First retry delay; doubled per attempt with full jitter."},
      {"pipeline.retry_max_ms", KeyType::kInt, "300000", "Longest retry delay."},
      {"pipeline.lock_ms", KeyType::kInt, "10000",
       "A claim's lease: renewed every third of it while its work runs; the claims of a process "
       "that died are taken again once it runs out."},
      {"pipeline.reclaim_from_the_gone", KeyType::kBool, "true",
       "Each process marks itself alive (a PostgreSQL advisory lock on a connection of its own, "
       "or an flock beside the SQLite file); the claims of a process whose mark is gone are taken "
       "again within a second, not when their leases run out. Turn off behind a pooler that "
       "does not keep sessions (PgBouncer in transaction mode)."},
      {"pipeline.poll_ms", KeyType::kInt, "200", "How often idle workers look for due work."},
      {"pipeline.room_wait_ms", KeyType::kInt, "1000",
       "Before a claim, the longest an inbox worker waits for the senders to have room for its "
       "batch's sends (docs/pipeline.md, Workers wait for the senders); then it claims anyway "
       "and what does not fit is queued due and claimed by the outbox. 0: never wait."},
      {"pipeline.batch_linger_ms", KeyType::kInt, "50",
       "After a claim that emptied the queue (fewer events than batch_size), how long the worker "
       "waits before it claims again, so that its next batch is fuller: fewer transactions per "
       "message under a steady load, at most this much added to a reply's time. 0: claim at "
       "once."},
      {"pipeline.group_commit_linger_us", KeyType::kInt, "500",
       "How long the inbox writer waits for more webhooks to share a transaction."},
      {"pipeline.sqlite_landing", KeyType::kBool, "true",
       "SQLite only: webhooks are committed to a landing journal beside the database file "
       "(<file>.landing, its own write lock) and acknowledged, then moved into the inbox by a "
       "thread of their own, so an acknowledgement does not wait for the inbox workers' "
       "transactions (docs/pipeline.md, Intake on SQLite). Off: stored in the inbox directly."},
      {"pipeline.store_timeout_ms", KeyType::kInt, "5000",
       "How long a webhook waits for its events to be committed. Past it the answer is 503, so "
       "Meta delivers them again (a late commit is then deduplicated), and no HTTP thread waits "
       "on a database that does not answer."},
      {"pipeline.intake_late_ms", KeyType::kInt, "1000",
       "Back-pressure: while the events or the sends being claimed waited longer than this, a "
       "new webhook waits (up to intake_hold_ms) before it is stored, so an overload slows "
       "Meta's deliveries instead of growing a backlog whose every reply comes later "
       "(docs/pipeline.md, Intake). Logged, and counted in baraza_inbox_intake_holds_total. 0: "
       "never hold."},
      {"pipeline.intake_hold_ms", KeyType::kInt, "1000",
       "The longest a webhook is held by back-pressure; then it is stored and acknowledged "
       "anyway (never refused for load)."},
      {"pipeline.per_number_rate", KeyType::kInt, "80",
       "Sends per second per phone number (Meta's default throughput)."},
      {"pipeline.pair_interval_ms", KeyType::kInt, "1000",
       "Minimum gap between two sends to the same recipient (Meta's pair rate limit)."},
      {"pipeline.shared_pacing", KeyType::kBool, "true",
       "per_number_rate is one budget for every engine on the database (the send_pace table: a "
       "statement per quarter second's sends of a number; an SQLite engine alone with its file "
       "keeps it in memory), not each process's own. The gap per recipient stays each "
       "process's. false: each process paces alone."},
      {"pipeline.default_tenant", KeyType::kString, "",
       "Slug of the tenant that answers numbers no tenant owns; empty: stored as unrouted."},
      {"scripting.budget_ms", KeyType::kInt, "50",
       "Wall-clock budget of one tenant script hook; past it the script is stopped."},
      {"scripting.memory_mib", KeyType::kInt, "32",
       "Heap cap of one tenant script state (one per tenant per worker)."},
      {"scripting.pattern_steps", KeyType::kInt, "200000",
       "Matcher steps one string.find/match/gmatch/gsub call may take."},
      {"scripting.host_calls", KeyType::kInt, "20",
       "Database calls (ctx.kv, recent messages) one script hook may make; past them the call "
       "raises."},
      {"scripting.host_ms", KeyType::kInt, "100",
       "Database time one hook may spend without it counting against scripting.budget_ms."},
      {"scripting.quarantine_after", KeyType::kInt, "5",
       "Consecutive script failures before the version is quarantined and the tenant alerted."},
      {"scripting.idle_evict_seconds", KeyType::kInt, "300",
       "A tenant script state unused this long is closed."},
      {"scripting.max_states", KeyType::kInt, "20000",
       "Most script states kept in this process; past it idle ones are closed."},
      {"scripting.dev_reload", KeyType::kBool, "false",
       "Development: re-import a tenant's script file when it changes on disk."},
      {"log.level", KeyType::kString, "info", "debug, info, warn or error."},
      {"log.format", KeyType::kString, "text", "text or json (one JSON object per line)."},
  };
  return schema;
}

void parseListen(const std::string& listen, std::string& host, uint16_t& port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw ConfigError("server.listen: expected host:port, got '" + listen + "'");
  }
  host = listen.substr(0, colon);
  std::string port_text = listen.substr(colon + 1);
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || value > 65535) {
    throw ConfigError("server.listen: bad port in '" + listen + "'");
  }
  port = static_cast<uint16_t>(value);
}

EngineConfig loadEngineConfig(const std::string& file) {
  EngineConfig cfg;
  cfg.file = file;
  YAML::Node root = file.empty() ? YAML::Node() : loadYamlFile(file);
  cfg.values = applySchema(engineSchema(), root, {file, "", true}, cfg.warnings, kPluginSections);

  for (const auto& section : kPluginSections) {
    YAML::Node node = root.IsMap() ? root[section] : YAML::Node();
    if (!node.IsDefined() || node.IsNull())
      continue;
    if (!node.IsMap()) {
      throw ConfigError(file + ":" + std::to_string(node.Mark().line + 1) + ": " + section +
                        ": must be a map of plugin names");
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) {
        throw ConfigError(file + ":" + std::to_string(it->first.Mark().line + 1) + ": " + section +
                          ": plugin names must be plain names");
      }
      std::string key = section + "." + it->first.as<std::string>();
      if (cfg.plugin_sections.count(key)) {
        throw ConfigError(file + ":" + std::to_string(it->first.Mark().line + 1) + ": " + key +
                          ": duplicate key");
      }
      cfg.plugin_sections[key] = it->second;
    }
  }

  const auto& v = cfg.values;
  parseListen(v["server"]["listen"], cfg.server.host, cfg.server.port);
  // Every number has a range: a typo such as 3000000000 must not wrap around to a negative.
  auto ranged = [&](const char* section, const char* key, long long min, long long max) {
    long long n = v[section][key].get<long long>();
    if (n < min || n > max) {
      throw ConfigError((file.empty() ? std::string("<config>") : file) + ": " + section + "." +
                        key + ": must be between " + std::to_string(min) + " and " +
                        std::to_string(max) + ", got " + std::to_string(n));
    }
    return n;
  };
  constexpr long long kHour = 3600000;
  cfg.server.threads = static_cast<int>(ranged("server", "threads", 1, 256));
  cfg.server.max_body_bytes = static_cast<size_t>(ranged("server", "max_body_bytes", 1, 1LL << 30));
  cfg.server.shutdown_timeout_ms =
      static_cast<int>(ranged("server", "shutdown_timeout_ms", 0, kHour));
  cfg.server.header_timeout_ms =
      static_cast<int>(ranged("server", "header_timeout_ms", 100, kHour));
  cfg.server.body_timeout_ms = static_cast<int>(ranged("server", "body_timeout_ms", 100, kHour));
  cfg.server.keepalive_timeout_ms =
      static_cast<int>(ranged("server", "keepalive_timeout_ms", 100, kHour));
  cfg.server.access_log = v["server"]["access_log"];
  cfg.server.channel_get_per_minute =
      static_cast<int>(ranged("server", "channel_get_per_minute", 0, 1000000));
  cfg.server.connections_per_address =
      static_cast<int>(ranged("server", "connections_per_address", 0, 1000000));
  cfg.database.url = v["database"]["url"];
  for (const auto& secret : urlSecrets(cfg.database.url)) {
    Redactor::instance().add(secret);
  }
  cfg.database.pool_size = static_cast<int>(ranged("database", "pool_size", 1, 1024));
  cfg.database.lease_timeout_ms =
      static_cast<int>(ranged("database", "lease_timeout_ms", 1, kHour));
  cfg.database.transaction_timeout_ms =
      static_cast<int>(ranged("database", "transaction_timeout_ms", 0, kHour));
  cfg.database.migrations_dir = v["database"]["migrations_dir"];
  cfg.plugins.dir = v["plugins"]["dir"];
  if (v["plugins"].contains("load")) {
    cfg.plugins.load = v["plugins"]["load"].get<std::vector<std::string>>();
  }
  cfg.console.enabled = v["console"]["enabled"];
  cfg.console.dir = v["console"]["dir"];
  cfg.console.chart_js = v["console"]["chart_js"];
  cfg.master_key_file = v["security"]["master_key_file"];
  if (v["server"].contains("metrics_token")) {
    cfg.server.metrics_token = v["server"]["metrics_token"].get<std::string>();
  }
  if (v["admin"].contains("token")) {
    cfg.admin_token = v["admin"]["token"].get<std::string>();
  }
  ScriptingConfig& sc = cfg.scripting;
  sc.limits.budget_ms = static_cast<int>(ranged("scripting", "budget_ms", 1, 10000));
  sc.limits.memory_bytes =
      static_cast<size_t>(ranged("scripting", "memory_mib", 1, 4096)) * 1024 * 1024;
  sc.limits.pattern_steps =
      static_cast<long>(ranged("scripting", "pattern_steps", 1000, 100000000));
  sc.limits.host_calls = static_cast<int>(ranged("scripting", "host_calls", 0, 100000));
  sc.limits.host_ms = static_cast<int>(ranged("scripting", "host_ms", 0, 60000));
  sc.quarantine_after = static_cast<int>(ranged("scripting", "quarantine_after", 1, 1000000));
  sc.idle_evict_seconds =
      static_cast<int>(ranged("scripting", "idle_evict_seconds", 1, 86400 * 30));
  sc.max_states = static_cast<int>(ranged("scripting", "max_states", 1, 10000000));
  sc.dev_reload = v["scripting"]["dev_reload"];
  PipelineConfig& p = cfg.pipeline;
  p.enabled = v["pipeline"]["enabled"];
  p.workers = static_cast<int>(ranged("pipeline", "workers", 0, 256));
  p.batch_size = static_cast<int>(ranged("pipeline", "batch_size", 1, 1000));
  p.senders = static_cast<int>(ranged("pipeline", "senders", 0, 1024));
  p.waiting_workers = static_cast<int>(ranged("pipeline", "waiting_workers", 1, 1024));
  p.max_attempts = static_cast<int>(ranged("pipeline", "max_attempts", 1, 100));
  p.retry_base_ms = static_cast<int>(ranged("pipeline", "retry_base_ms", 1, kHour));
  p.retry_max_ms = static_cast<int>(ranged("pipeline", "retry_max_ms", 1, 24 * kHour));
  p.lock_ms = static_cast<int>(ranged("pipeline", "lock_ms", 100, kHour));
  p.reclaim_from_the_gone = v["pipeline"]["reclaim_from_the_gone"];
  p.poll_ms = static_cast<int>(ranged("pipeline", "poll_ms", 1, 60000));
  p.room_wait_ms = static_cast<int>(ranged("pipeline", "room_wait_ms", 0, 60000));
  p.batch_linger_ms = static_cast<int>(ranged("pipeline", "batch_linger_ms", 0, 1000));
  p.group_commit_linger_us =
      static_cast<int>(ranged("pipeline", "group_commit_linger_us", 0, 100000));
  p.sqlite_landing = v["pipeline"]["sqlite_landing"];
  p.store_timeout_ms = static_cast<int>(ranged("pipeline", "store_timeout_ms", 10, kHour));
  p.intake_late_ms = static_cast<int>(ranged("pipeline", "intake_late_ms", 0, kHour));
  p.intake_hold_ms = static_cast<int>(ranged("pipeline", "intake_hold_ms", 1, 30000));
  p.per_number_rate = static_cast<int>(ranged("pipeline", "per_number_rate", 0, 100000));
  p.pair_interval_ms = static_cast<int>(ranged("pipeline", "pair_interval_ms", 0, kHour));
  p.shared_pacing = v["pipeline"]["shared_pacing"];
  p.default_tenant = v["pipeline"]["default_tenant"];
  cfg.log_level = v["log"]["level"];
  cfg.log_format = v["log"]["format"];
  return cfg;
}

namespace {

// Where the userinfo password sits in scheme://user:password@host, if anywhere.
std::optional<std::pair<size_t, size_t>> userinfoPassword(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos)
    return std::nullopt;
  size_t start = scheme + 3;
  size_t end = url.find_first_of("/?#", start);
  if (end == std::string::npos)
    end = url.size();
  auto at = url.rfind('@', end);
  if (at == std::string::npos || at < start)
    return std::nullopt;
  auto colon = url.find(':', start);
  if (colon == std::string::npos || colon > at)
    return std::nullopt;
  return std::make_pair(colon + 1, at - colon - 1);
}

// Where each password=VALUE of the query string sits.
std::vector<std::pair<size_t, size_t>> queryPasswords(const std::string& url) {
  std::vector<std::pair<size_t, size_t>> found;
  auto q = url.find('?');
  while (q != std::string::npos && q < url.size()) {
    size_t start = q + 1;
    size_t end = url.find('&', start);
    if (end == std::string::npos)
      end = url.size();
    if (url.compare(start, 9, "password=") == 0)
      found.emplace_back(start + 9, end - start - 9);
    q = end < url.size() ? end : std::string::npos;
  }
  return found;
}

}  // namespace

std::optional<std::string> urlPassword(const std::string& url) {
  auto where = userinfoPassword(url);
  if (!where)
    return std::nullopt;
  return url.substr(where->first, where->second);
}

std::vector<std::string> urlSecrets(const std::string& url) {
  std::vector<std::string> out;
  if (auto p = urlPassword(url))
    out.push_back(*p);
  for (auto [pos, len] : queryPasswords(url))
    out.push_back(url.substr(pos, len));
  return out;
}

std::string maskUrlPassword(const std::string& url) {
  std::vector<std::pair<size_t, size_t>> spans = queryPasswords(url);
  if (auto p = userinfoPassword(url))
    spans.push_back(*p);
  std::sort(spans.begin(), spans.end());
  std::string out = url;
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
    out.replace(it->first, it->second, "********");
  }
  return out;
}

nlohmann::json printableConfig(const EngineConfig& cfg) {
  nlohmann::json out = maskSecrets(engineSchema(), cfg.values);
  out["database"]["url"] = maskUrlPassword(cfg.database.url);
  return out;
}

std::string toYaml(const nlohmann::json& value) {
  YAML::Emitter out;
  emitJson(out, value);
  return std::string(out.c_str()) + "\n";
}

}  // namespace baraza

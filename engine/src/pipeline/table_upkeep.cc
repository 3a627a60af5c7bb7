#include "pipeline/table_upkeep.h"

#include <spdlog/spdlog.h>

#include "core/metrics.h"

namespace baraza {
namespace {

// Tables the message path writes on every message, and whether each is a queue.
const Statement kStale{
    "upkeep_stale_tables",
    "SELECT s.relname, CASE WHEN c.reltuples < 0 OR s.n_live_tup > 2 * c.reltuples + 1000 THEN "
    "1 ELSE 0 END, CASE WHEN s.relname IN ('outbox_messages', 'inbox_work') AND "
    "s.n_dead_tup > 5000 AND s.n_dead_tup > s.n_live_tup / 10 THEN 1 ELSE 0 END FROM "
    "pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname IN "
    "('inbox_events', 'inbox_work', 'outbox_messages', 'messages', 'contacts', 'conversations', "
    "'usage_counters', 'actions', 'pending_statuses') AND s.n_live_tup + s.n_dead_tup > 1000",
    ""};

// The upkeep's statistics come from a sample of 3,000 rows rather than the default 30,000: they
// are there to tell the planner how big a young table has grown, and a full sample of a 50,000-row
// messages table took 0.6 s of the database's CPU under load (0.1 s now). Autovacuum's own
// ANALYZE, later, takes the full sample.
constexpr const char* kSmallSample = "SET default_statistics_target = 10";
constexpr const char* kDefaultSample = "RESET default_statistics_target";

}  // namespace

int TableUpkeep::run() {
  if (db_.dialect() != Dialect::kPostgresql || refused_)
    return 0;
  std::vector<std::pair<std::string, std::string>> work;  // (command, table)
  {
    TenantScope tx(db_, TenantScope::kAllTenants);
    Rows r = tx.run(kStale);
    tx.commit();
    for (size_t i = 0; i < r.size(); ++i) {
      if (r.integer(i, 2))
        work.emplace_back("VACUUM (ANALYZE) ", r.text(i, 0));
      else if (r.integer(i, 1))
        work.emplace_back("ANALYZE ", r.text(i, 0));
    }
  }
  auto lease = db_.lease();
  if (!lease)
    return 0;
  if (work.empty())
    return 0;
  int done = 0;
  Database::execScript(**lease, db_.dialect(), kSmallSample);
  for (const auto& [command, table] : work) {
    try {
      Database::execScript(**lease, db_.dialect(), command + table);  // outside a transaction
      MetricsRegistry::global().counterAdd(
          "baraza_table_upkeep_total",
          {{"table", table}, {"kind", command[0] == 'V' ? "vacuum" : "analyze"}});
      ++done;
    } catch (const std::exception& e) {
      // Not the tables' owner: autovacuum alone keeps them, as it would anyway.
      refused_ = true;
      spdlog::warn("table upkeep: {}{} refused ({}); left to autovacuum", command, table, e.what());
      break;
    }
  }
  Database::execScript(**lease, db_.dialect(), kDefaultSample);
  return done;
}

}  // namespace baraza

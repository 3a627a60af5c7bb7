#include "pipeline/script_services.h"

#include <algorithm>

#include "scripting/knowledge_search.h"

namespace baraza {

bool DatabaseScriptServices::guarded(const std::function<void()>& work, std::string& error) {
  (*sql_) << "SAVEPOINT script_call";
  try {
    work();
    (*sql_) << "RELEASE SAVEPOINT script_call";
    return true;
  } catch (const std::exception& e) {
    error = std::string("the database refused: ") + e.what();
    try {
      (*sql_) << "ROLLBACK TO SAVEPOINT script_call";
      (*sql_) << "RELEASE SAVEPOINT script_call";
    } catch (const std::exception&) {
      // The connection is gone: the message's transaction fails and is retried.
    }
    return false;
  }
}

bool DatabaseScriptServices::kvGet(const std::string& key, std::optional<std::string>& value,
                                   std::string& error) {
  return guarded(
      [&] {
        std::string text, expires;
        soci::indicator ti = soci::i_null, ei = soci::i_null;
        (*sql_) << "SELECT value, CAST(expires_ms AS TEXT) FROM tenant_kv WHERE tenant_id = :t AND "
                   "key = :k",
            soci::use(tenant_.id), soci::use(key), soci::into(text, ti), soci::into(expires, ei);
        if ((*sql_).got_data() && ti == soci::i_ok &&
            (ei != soci::i_ok || std::atoll(expires.c_str()) > now_ms_))
          value = text;
      },
      error);
}

bool DatabaseScriptServices::kvSet(const std::string& key, const std::string& value,
                                   long long ttl_seconds, std::string& error) {
  bool full = false;
  bool ok = guarded(
      [&] {
        (*sql_) << "DELETE FROM tenant_kv WHERE tenant_id = :t AND expires_ms <= :n",
            soci::use(tenant_.id), soci::use(now_ms_);
        std::string used_text;
        // Bytes, not characters, on both dialects.
        std::string bytes = dialect_ == Dialect::kPostgresql
                                ? "OCTET_LENGTH(key) + OCTET_LENGTH(value)"
                                : "LENGTH(CAST(key AS BLOB)) + LENGTH(CAST(value AS BLOB))";
        (*sql_) << "SELECT CAST(COALESCE(SUM(" + bytes +
                       "), 0) AS TEXT) FROM tenant_kv WHERE "
                       "tenant_id = :t AND key <> :k",
            soci::use(tenant_.id), soci::use(key), soci::into(used_text);
        auto used = static_cast<size_t>(std::atoll(used_text.c_str()));
        if (used + key.size() + value.size() > kTenantKvBytes) {
          full = true;
          return;
        }
        long long expires = ttl_seconds > 0 ? now_ms_ + ttl_seconds * 1000 : 0;
        soci::indicator ei = ttl_seconds > 0 ? soci::i_ok : soci::i_null;
        (*sql_)
            << "INSERT INTO tenant_kv (tenant_id, key, value, expires_ms, updated_ms) VALUES (:t, "
               ":k, :v, :e, :u) ON CONFLICT (tenant_id, key) DO UPDATE SET value = excluded.value, "
               "expires_ms = excluded.expires_ms, updated_ms = excluded.updated_ms",
            soci::use(tenant_.id), soci::use(key), soci::use(value), soci::use(expires, ei),
            soci::use(now_ms_);
      },
      error);
  if (ok && full) {
    error = "the tenant's kv store is full (1 MiB)";
    return false;
  }
  return ok;
}

bool DatabaseScriptServices::kvDel(const std::string& key, std::string& error) {
  return guarded(
      [&] {
        (*sql_) << "DELETE FROM tenant_kv WHERE tenant_id = :t AND key = :k", soci::use(tenant_.id),
            soci::use(key);
      },
      error);
}

bool DatabaseScriptServices::recentMessages(int limit, nlohmann::json& out, std::string& error) {
  return guarded(
      [&] {
        out = nlohmann::json::array();
        soci::rowset<soci::row> rows =
            ((*sql_).prepare
                 << "SELECT direction, message_type, COALESCE(body, ''), CAST(created_at AS "
                    "TEXT) FROM messages WHERE tenant_id = :t AND conversation_id = :c "
                    "ORDER BY created_at DESC, id DESC LIMIT :n",
             soci::use(tenant_.id), soci::use(conversation_id_), soci::use(limit));
        for (const auto& r : rows) {
          out.push_back({{"direction", r.get<std::string>(0)},
                         {"type", r.get<std::string>(1)},
                         {"text", r.get<std::string>(2)},
                         {"at", r.get<std::string>(3)}});
        }
        std::reverse(out.begin(), out.end());
      },
      error);
}

nlohmann::json DatabaseScriptServices::faqSearch(const std::string& text, int limit) {
  return searchKnowledge(tenant_.knowledge, text, limit);
}

}  // namespace baraza

// The cost an organization adds to each inbound message: the records one message writes in
// its tenant's transaction (contact, conversation, message), without and with the lead
// (find or create, link the agent's contact, count, attribute). SQLite in a temporary file,
// synchronous=NORMAL as the engine runs it; 100 senders, so nearly every message finds its contact
// and lead.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "core/iso_time.h"
#include "core/uuid.h"
#include "leads/lead_records.h"
#include "pipeline/contact_store.h"
#include "pipeline/conversation_store.h"
#include "pipeline/message_store.h"
#include "storage/migrator.h"

namespace baraza {
namespace {

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<Database> db;
  std::string org, tenant, account;

  Fixture() {
    dir = std::filesystem::temp_directory_path() / ("lead-bench-" + newUuid());
    std::filesystem::create_directories(dir);
    db = std::make_unique<Database>("sqlite://" + (dir / "b.db").string(), 2,
                                    std::chrono::milliseconds(5000));
    Migrator(*db, embeddedMigrations(Dialect::kSqlite)).apply();
    org = newUuid();
    tenant = newUuid();
    account = newUuid();
    TenantScope tx(*db, TenantScope::kAllTenants, true);
    tx.sql() << "INSERT INTO organizations (id, slug, name) VALUES (:i, 'o', 'O')", soci::use(org);
    tx.sql() << "INSERT INTO tenants (id, slug, name, organization_id) VALUES (:i, 'a', 'A', :o)",
        soci::use(tenant), soci::use(org);
    tx.sql() << "INSERT INTO channel_accounts (tenant_id, id, channel_type, phone_number_id, "
                "access_token_sealed) VALUES (:t, :i, 'whatsapp', '5551', 'x')",
        soci::use(tenant), soci::use(account);
    tx.commit();
  }
  ~Fixture() {
    db.reset();
    std::filesystem::remove_all(dir);
  }
};

void recordOne(Fixture& f, long long n, bool with_lead) {
  std::string from_id = std::to_string(254711000000LL + n % 100);
  nlohmann::json event{{"from", {{"wa_id", from_id}, {"profile_name", "Wanjiku"}}},
                       {"id", "wamid.B" + std::to_string(n) + (with_lead ? "L" : "")},
                       {"type", "text"},
                       {"text", "How much is the rent?"}};
  std::string at = formatIsoUtc(1795427999 + n);
  TenantScope tx(*f.db, f.tenant, true);
  InboundEvent e;
  e.payload = event.dump();
  parsePayload(e);
  auto contact = contact_store::upsert(tx, f.tenant, "whatsapp", e.from, at);
  ConversationRow c = conversation_store::touch(tx, f.tenant, contact.id, f.account, at,
                                                formatIsoUtc(1795427999 + n + 86400),
                                                formatIsoUtc(0), contact.created);
  std::vector<message_store::InboundRow> message{{f.tenant, c.id, contact.id, &e, at, ""}};
  message_store::insertInbound(tx, message);
  if (with_lead) {
    recordLeadContact(tx.sql(), Dialect::kSqlite,
                      {f.org, f.tenant, contact.id, c.id, message[0].id, c.created, at, event});
  }
  tx.commit();
}

void BM_MessageRecords(benchmark::State& state) {
  Fixture f;
  bool with_lead = state.range(0) != 0;
  long long n = 0;
  for (auto _ : state)
    recordOne(f, n++, with_lead);
  state.SetLabel(with_lead ? "with lead" : "without lead");
}
BENCHMARK(BM_MessageRecords)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace baraza

BENCHMARK_MAIN();

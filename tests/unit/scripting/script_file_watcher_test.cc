// Development reload: a changed script file becomes the active version; a broken edit does not.
#include <gtest/gtest.h>

#include "scripting/script_file_watcher.h"
#include "scripting/script_store.h"
#include "security/key_ring.h"
#include "storage/migrator.h"
#include "support/test_env.h"
#include "tenancy/tenant_import.h"

namespace baraza {
namespace {

TEST(ScriptFileWatcher, AChangedFileBecomesTheActiveVersionAndABrokenEditIsSkipped) {
  test::TempDir dir;
  Database db("sqlite://" + dir.file("w.db"), 1, std::chrono::milliseconds(2000));
  Migrator(db, embeddedMigrations(Dialect::kSqlite)).apply();
  Sealer sealer(KeyRing::loadOrCreate(dir.file("master.key")));
  std::string lua = dir.write("shop.lua", "return { route = function() return 'faq' end }");
  std::string yaml = dir.write("shop.yaml", "slug: shop\nname: Shop\nscript: shop.lua\n");
  auto imported = importTenant(db, sealer, readTenantFile(yaml), "test");
  ASSERT_EQ(imported.script_version, 1);

  ScriptFileWatcher watcher(db, SandboxLimits{});
  EXPECT_EQ(watcher.pollOnce(), 0);  // unchanged
  dir.write("shop.lua", "return { route = function() return 'static_reply' end }");
  EXPECT_EQ(watcher.pollOnce(), 1);
  auto active = [&] {
    TenantScope tx(db, imported.tenant_id);
    return activeScriptVersion(tx.sql(), imported.tenant_id);
  };
  ASSERT_TRUE(active());
  EXPECT_EQ(active()->version, 2);
  EXPECT_EQ(active()->created_by, "dev-reload");

  dir.write("shop.lua", "return { route = function( end }");  // mid-edit
  EXPECT_EQ(watcher.pollOnce(), 0);
  EXPECT_EQ(watcher.pollOnce(), 0);
  EXPECT_EQ(active()->version, 2);
}

}  // namespace
}  // namespace baraza

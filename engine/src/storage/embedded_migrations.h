#pragma once

#include <string>
#include <vector>

namespace baraza {

struct EmbeddedMigrationFile {
  const char* dialect;  // "postgresql" or "sqlite"
  const char* file;     // "0001_core_schema.sql"
  const char* sql;
};

// Every file of migrations/, compiled in (see cmake/EmbedMigrations.cmake).
const std::vector<EmbeddedMigrationFile>& embeddedMigrationFiles();

}  // namespace baraza

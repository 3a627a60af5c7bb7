# Every dependency comes from a Debian 12 package. A missing one stops the configure step with
# the name of the package to install (tools/install-deps.sh installs them all).
include(FindPkgConfig)

function(baraza_require found what package)
  if(NOT ${found})
    message(FATAL_ERROR "${what} not found: install the Debian package '${package}' "
                        "(apt-get install ${package}, or run tools/install-deps.sh)")
  endif()
endfunction()

find_package(PkgConfig QUIET)
baraza_require(PKG_CONFIG_FOUND "pkg-config" pkg-config)

pkg_check_modules(PISTACHE QUIET IMPORTED_TARGET libpistache)
baraza_require(PISTACHE_FOUND "Pistache" libpistache-dev)
pkg_check_modules(LUAJIT QUIET IMPORTED_TARGET luajit)
baraza_require(LUAJIT_FOUND "LuaJIT" libluajit-5.1-dev)

# jemalloc: the engine's allocator (bench/README.md, "Back-pressure"): ~17% less engine CPU a
# reply than glibc's malloc under load, mostly malloc_consolidate and free. Linked into the
# engine executable only; sanitizer builds keep their own.
pkg_check_modules(JEMALLOC QUIET IMPORTED_TARGET jemalloc)
baraza_require(JEMALLOC_FOUND "jemalloc" libjemalloc-dev)

find_package(yaml-cpp QUIET)
baraza_require(yaml-cpp_FOUND "yaml-cpp" libyaml-cpp-dev)
find_package(spdlog QUIET)
baraza_require(spdlog_FOUND "spdlog" libspdlog-dev)
find_package(nlohmann_json 3 QUIET)
baraza_require(nlohmann_json_FOUND "nlohmann/json" nlohmann-json3-dev)
find_package(CURL QUIET)
baraza_require(CURL_FOUND "libcurl" libcurl4-openssl-dev)
find_package(OpenSSL QUIET)
baraza_require(OPENSSL_FOUND "OpenSSL" libssl-dev)
find_package(PostgreSQL QUIET)
baraza_require(PostgreSQL_FOUND "libpq" libpq-dev)
find_package(SQLite3 QUIET)
baraza_require(SQLite3_FOUND "SQLite3" libsqlite3-dev)
find_package(Threads REQUIRED)
find_path(RAPIDJSON_INCLUDE_DIR rapidjson/document.h)
baraza_require(RAPIDJSON_INCLUDE_DIR "RapidJSON" rapidjson-dev)

# libcsv: RFC 4180 reading and quoting for the admin API's knowledge import and export.
find_path(CSV_INCLUDE_DIR csv.h)
find_library(CSV_LIB csv)
if(CSV_INCLUDE_DIR AND CSV_LIB)
  set(CSV_FOUND TRUE)
endif()
baraza_require(CSV_FOUND "libcsv" libcsv-dev)

# Howard Hinnant's date/tz (the C++20 time-zone library GCC 12 lacks): tenants' working hours in
# a named time zone, read from the system's tzdata (/usr/share/zoneinfo).
find_package(date QUIET)
baraza_require(date_FOUND "date/tz" libhowardhinnant-date-dev)

# SOCI ships neither a CMake config nor a .pc file on Debian 12.
find_path(SOCI_INCLUDE_DIR soci/soci.h)
find_library(SOCI_CORE_LIB soci_core)
find_library(SOCI_POSTGRESQL_LIB soci_postgresql)
find_library(SOCI_SQLITE3_LIB soci_sqlite3)
if(SOCI_INCLUDE_DIR AND SOCI_CORE_LIB AND SOCI_POSTGRESQL_LIB AND SOCI_SQLITE3_LIB)
  set(SOCI_FOUND TRUE)
endif()
baraza_require(SOCI_FOUND "SOCI (core, postgresql, sqlite3)" libsoci-dev)
add_library(baraza_soci INTERFACE)
target_include_directories(baraza_soci SYSTEM INTERFACE ${SOCI_INCLUDE_DIR} ${SOCI_INCLUDE_DIR}/soci)
target_link_libraries(baraza_soci INTERFACE ${SOCI_POSTGRESQL_LIB} ${SOCI_SQLITE3_LIB}
                      ${SOCI_CORE_LIB} PostgreSQL::PostgreSQL SQLite::SQLite3 ${CMAKE_DL_LIBS})

if(BARAZA_BUILD_TESTS)
  find_package(GTest QUIET)
  baraza_require(GTest_FOUND "GoogleTest" googletest)
endif()

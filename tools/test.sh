#!/usr/bin/env bash
# The second README command: installs the dependencies, builds, starts a throwaway PostgreSQL
# server and runs the whole test suite against SQLite and PostgreSQL, then again in an
# AddressSanitizer + UndefinedBehaviorSanitizer build. BARAZA_SKIP_SANITIZE=1 skips that second
# pass (CI never sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tools/install-deps.sh
# ccache hits across clones in other folders (CI builds a fresh clone each time).
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=1

pg_dir=$(mktemp -d /tmp/baraza-pg.XXXXXX)
cleanup() { tools/throwaway-postgres.sh stop "$pg_dir"; }
trap cleanup EXIT
BARAZA_TEST_POSTGRES_URL=$(tools/throwaway-postgres.sh start "$pg_dir")
export BARAZA_TEST_POSTGRES_URL
echo "test: PostgreSQL at $BARAZA_TEST_POSTGRES_URL"

run_suite() {
  local dir=$1
  shift
  cmake -S . -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j2
  (cd "$dir" && ctest --output-on-failure -j2 --timeout 300)
}

started=$(date +%s)
run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo
clang_format=$(command -v clang-format || true)
if [[ -n "$clang_format" ]]; then
  # Formatting is part of the suite: a file clang-format would change fails it.
  git -c safe.directory="$root" ls-files '*.cc' '*.h' '*.c' |
    xargs -r "$clang_format" --dry-run --Werror
fi
if [[ "${BARAZA_SKIP_SANITIZE:-0}" != 1 ]]; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    run_suite build-sanitize -DCMAKE_BUILD_TYPE=Debug -DBARAZA_SANITIZE=ON
fi
echo "test: finished in $(($(date +%s) - started)) s"

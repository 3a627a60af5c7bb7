#!/usr/bin/env bash
# The second README command: installs the dependencies, builds, starts a throwaway PostgreSQL
# server and runs the whole test suite against SQLite and PostgreSQL and the console's browser
# tests (headless Chromium), runs each libFuzzer target for a bounded time (BARAZA_FUZZ_SECONDS,
# default 60), then the suite again in an AddressSanitizer + UndefinedBehaviorSanitizer build
# (end-to-end tests there in SQLite only). BARAZA_SKIP_SANITIZE=1 and BARAZA_SKIP_FUZZ=1 skip
# those passes locally (CI sets neither).
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

# run_suite DIR EXCLUDE CMAKE_ARGS... [-- CTEST_ARGS...]
run_suite() {
  local dir=$1 exclude=$2 cmake_args=() ctest_args=()
  shift 2
  while (($#)) && [[ $1 != -- ]]; do cmake_args+=("$1"); shift; done
  (($#)) && shift
  ctest_args=("$@")
  cmake -S . -B "$dir" "${cmake_args[@]}" >/dev/null
  cmake --build "$dir" -j2
  (cd "$dir" && ctest --output-on-failure -j2 --timeout 300 ${exclude:+-E "$exclude"} \
    "${ctest_args[@]}")
}

started=$(date +%s)
run_suite build "" -DCMAKE_BUILD_TYPE=RelWithDebInfo
# The console in headless Chromium against the release build, a real engine and a mock Graph
# API; screenshots of every page are kept in build/console-artifacts/.
(cd tests/console && BARAZA_BUILD_DIR="$root/build" CONSOLE_ARTIFACTS="$root/build/console-artifacts" \
  node --test --test-reporter=spec console.test.mjs)
clang_format=$(command -v clang-format || true)
if [[ -n "$clang_format" ]]; then
  # Formatting is part of the suite: a file clang-format would change fails it.
  git -c safe.directory="$root" ls-files '*.cc' '*.h' '*.c' |
    xargs -r "$clang_format" --dry-run --Werror
fi
if [[ "${BARAZA_SKIP_FUZZ:-0}" != 1 ]]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DBARAZA_FUZZ=ON -DBARAZA_BUILD_TESTS=OFF \
    -DBARAZA_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build-fuzz -j2 --target whatsapp_webhook_fuzz
  work=$(mktemp -d /tmp/baraza-fuzz.XXXXXX)
  mkdir "$work/corpus"
  # New inputs go to the scratch corpus; the committed seed corpus is only read.
  if ! (cd "$work" && "$root/build-fuzz/tests/fuzz/whatsapp_webhook_fuzz" \
          -max_total_time="${BARAZA_FUZZ_SECONDS:-60}" -rss_limit_mb=2048 -timeout=5 \
          "$work/corpus" "$root/tests/fuzz/corpus/whatsapp_webhook" >"$work/fuzz.log" 2>&1); then
    tail -n 60 "$work/fuzz.log"
    echo "test: whatsapp_webhook_fuzz found a crash (the input is printed above)" >&2
    exit 1
  fi
  echo "fuzz: whatsapp_webhook_fuzz $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$work/fuzz.log")"
  rm -rf "$work"
fi
# The sanitizer pass looks for memory and undefined-behaviour errors. Unit tests run there in
# both dialects; an end-to-end test that runs in both dialects runs there in SQLite only, since
# PostgreSQL's own code paths are the unit tests' and the PostgreSQL-only tests' (which still
# run). The minute-long database outage tests what the engine does, not its memory: the release
# pass runs it, the sanitizer pass (several times slower) does not.
if [[ "${BARAZA_SKIP_SANITIZE:-0}" != 1 ]]; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
  run_suite build-sanitize "" -DCMAKE_BUILD_TYPE=Debug -DBARAZA_SANITIZE=ON \
    -DBARAZA_BUILD_BENCH=OFF -- -LE integration
  (cd build-sanitize && ctest --output-on-failure -j2 --timeout 300 -L integration \
    -E 'DatabaseOutage\.|^BothDialects/.*/postgresql')
fi
echo "test: finished in $(($(date +%s) - started)) s"

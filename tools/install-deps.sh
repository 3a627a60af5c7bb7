#!/usr/bin/env bash
# Installs the Debian 12 packages Baraza builds, runs and tests with. Quick when they are
# already there: apt-get runs only for the missing ones.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config ccache git
  libpistache-dev libluajit-5.1-dev libsoci-dev libpq-dev libsqlite3-dev libyaml-cpp-dev
  libssl-dev libcurl4-openssl-dev nlohmann-json3-dev libspdlog-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  postgresql curl wrk sqlite3 clang-format clang libclang-rt-14-dev rapidjson-dev
  libcsv-dev libhowardhinnant-date-dev tzdata
  libjemalloc-dev  # the engine's allocator
  libjs-chart.js  # the console's charts, served by the engine
  chromium        # the console's browser tests
)
# The console's browser tests (tests/console/) run on Node with puppeteer-core from npm, pinned by
# its lockfile; Debian's nodejs and npm unless a Node is already installed.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    sudo=sudo
  else
    sudo=
  fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
if [[ ! -d tests/console/node_modules/puppeteer-core ]] ||
   [[ tests/console/package-lock.json -nt tests/console/node_modules/.package-lock.json ]]; then
  echo "install-deps: npm ci in tests/console (puppeteer-core, test tooling only)"
  (cd tests/console && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

#!/usr/bin/env bash
# The first README command: installs the dependencies, builds what serving needs (the engine and
# its plugins, not the tests or benchmarks), and starts the engine on the embedded default
# (SQLite in data/, examples/config.yaml, the example tenants) on 127.0.0.1:8080, with the web
# console at /console.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
export CCACHE_BASEDIR=$(pwd) CCACHE_NOHASHDIR=1
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target serving
# The demo's tenants (examples/tenants/): importing again only updates them.
build/baraza tenant import --config examples/config.yaml examples/tenants/*.yaml
# The operator token the console and the admin API take: BARAZA_ADMIN_TOKEN if set, else one
# made for this machine and kept in data/ (readable by its owner only).
if [[ -z "${BARAZA_ADMIN_TOKEN:-}" ]]; then
  mkdir -p data
  [[ -s data/operator.token ]] ||
    (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > data/operator.token)
  BARAZA_ADMIN_TOKEN=$(cat data/operator.token)
  export BARAZA_ADMIN_TOKEN
  token_hint="the operator token: cat data/operator.token"
else
  token_hint="the operator token in \$BARAZA_ADMIN_TOKEN"
fi
cat <<TEXT

  Console:  http://127.0.0.1:8080/console
  Log in with ${token_hint}
  or with a tenant's API key (POST /admin/v1/tenants/SLUG/api-keys).

TEXT
exec build/baraza serve --config examples/config.yaml

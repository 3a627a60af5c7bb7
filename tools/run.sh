#!/usr/bin/env bash
# The first README command: installs the dependencies, builds, and starts the engine on the
# embedded default (SQLite in data/, examples/config.yaml, the example tenants) on
# 127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2
# The demo's tenants (examples/tenants/): importing again only updates them.
build/baraza tenant import --config examples/config.yaml examples/tenants/*.yaml
exec build/baraza serve --config examples/config.yaml

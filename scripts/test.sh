#!/usr/bin/env bash
# The project's test command: installs the reference tools, checks that the
# core library builds without the GUI, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-tools.sh
# The GDAL reference checks must run, not skip, wherever the tools could be installed.
if command -v ogrinfo >/dev/null 2>&1; then
  export LAGESBILD_REQUIRE_GDAL=1
fi

echo "== core library without the GUI" >&2
cargo check --lib --no-default-features --quiet
echo "== tests" >&2
cargo test --all-targets "$@"
cargo test --doc "$@"

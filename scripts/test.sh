#!/usr/bin/env bash
# The project's test command: installs the reference tools, checks that the
# core library builds without the GUI, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# The GDAL reference checks run, never skip: the install script fails when it
# cannot install the tools, and a test missing one fails.
scripts/install-test-tools.sh
export LAGESBILD_REQUIRE_GDAL=1

# The shared store's tests run against a throwaway PostgreSQL/PostGIS cluster,
# stopped again however the tests end; with LAGESBILD_REQUIRE_PG=1 a PG test
# fails (never skips) when the cluster is missing.
export LAGESBILD_PG_DIR="${LAGESBILD_PG_DIR:-$(mktemp -d /tmp/lagesbild-pg.XXXXXX)}"
chmod 755 "$LAGESBILD_PG_DIR"
trap 'scripts/pg-test-cluster.sh stop' EXIT
eval "$(scripts/pg-test-cluster.sh start)"
export LAGESBILD_REQUIRE_PG=1

echo "== core library without the GUI" >&2
cargo check --lib --no-default-features --quiet
# The kill-during-import test runs at full size (1,000,000 rows, 50 SIGKILLs)
# on the release binary; a debug import of a million rows takes minutes.
echo "== release binary for the kill test" >&2
cargo build --release --quiet --bin lagesbild
LAGESBILD_KILL_BIN="${CARGO_TARGET_DIR:-target}/release/lagesbild"
case "$LAGESBILD_KILL_BIN" in /*) ;; *) LAGESBILD_KILL_BIN="$PWD/$LAGESBILD_KILL_BIN" ;; esac
export LAGESBILD_KILL_BIN
echo "== tests" >&2
cargo test --all-targets "$@"
cargo test --doc "$@"

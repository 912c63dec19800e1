#!/usr/bin/env bash
# The kill-during-import test at full size (issue 21): builds the release
# binary, then SIGKILLs `lagesbild import` of a 1,000,000-row CSV into a
# project holding 2,000 incidents at 50 seeded random moments, checking after
# each that the project opens, passes integrity_check and rtreecheck, and
# holds all of the import or none of it with the earlier data intact.
# Prints the figures the README quotes. Unix only.
#
#   scripts/kill-test.sh                 # 1,000,000 rows, 50 kills, seed 2026
#   LAGESBILD_KILL_RUNS=10 LAGESBILD_KILL_SEED=7 scripts/kill-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release --quiet --bin lagesbild
export LAGESBILD_KILL_BIN="$target/release/lagesbild"
case "$LAGESBILD_KILL_BIN" in /*) ;; *) LAGESBILD_KILL_BIN="$PWD/$LAGESBILD_KILL_BIN" ;; esac
exec cargo test --quiet --test integration kill_import -- --nocapture

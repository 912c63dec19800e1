#!/usr/bin/env bash
# Fuzzes Lägesbild's readers with cargo-fuzz / libFuzzer (issue 21, "No input
# crashes it"): builds every target in fuzz/, runs each for SECONDS_PER_TARGET
# seconds (default 60) from a seed corpus made of tests/fixtures and
# fuzz/seeds, and prints executions and crashes per target.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]
#
# Exits 1 when a target crashed (panic, stack overflow, timeout, out of
# memory: libFuzzer's -timeout and -rss_limit_mb), 2 when it cannot build.
# Each crash is kept in $FUZZ_WORK/artifacts/TARGET/; reproduce one with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz -s none TARGET FILE
# and turn it into a regression test in tests/robust.rs.
#
# Environment:
#   FUZZ_TARGETS     targets to run (default: all that `cargo fuzz list` names)
#   FUZZ_TARGET_DIR  cargo target dir of the fuzz build (default
#                    "${CARGO_TARGET_DIR}-fuzz", or fuzz/target)
#   FUZZ_WORK        corpus and crash folder (default $FUZZ_TARGET_DIR/work;
#                    the corpus grows there from run to run)
#   FUZZ_SANITIZER   none (default: the targets are safe Rust; panics, stack
#                    overflows, hangs and memory blow-ups are what we look
#                    for) or address (also checks the C code, bundled SQLite)
#
# Builds are release builds with debug assertions and overflow checks (cargo
# fuzz's default), so an arithmetic overflow is a crash here as in `cargo test`.
#
# Stable Rust: cargo-fuzz passes nightly-only flags (-Z sanitizer options,
# -Cpasses=sancov-module) to rustc; RUSTC_BOOTSTRAP=1 lets the stable
# compiler accept them. cargo-fuzz is installed from crates.io when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=${1:-60}
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
    echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET]  (a whole number of seconds, at least 1)" >&2
    exit 2
fi

export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR=never
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    target_dir=${FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR%/}-fuzz}
else
    target_dir=${FUZZ_TARGET_DIR:-$root/fuzz/target}
fi
# The fuzz crate's own build must not write into the main crate's target dir.
unset CARGO_TARGET_DIR
work=${FUZZ_WORK:-$target_dir/work}
sanitizer=${FUZZ_SANITIZER:-none}

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz from crates.io" >&2
    cargo install cargo-fuzz --locked --quiet
fi

# cargo fuzz COMMAND with our build options, before any `--` that starts
# libFuzzer's own arguments (the same options for build and run, so that run
# does not build again).
fuzz() {
    local command=$1
    shift
    cargo fuzz "$command" --fuzz-dir fuzz -s "$sanitizer" --target-dir "$target_dir" "$@"
}

targets=${FUZZ_TARGETS:-$(cargo fuzz list --fuzz-dir fuzz)}

echo "== building fuzz targets (sanitizer: $sanitizer)" >&2
if ! fuzz build; then
    echo "fuzz: the fuzz targets do not build" >&2
    exit 2
fi

# Seeds: the test fixtures of each format (a first byte 0 picks the default
# options, see fuzz/src/lib.rs) and the hand-made seeds in fuzz/seeds.
seed_dir() {
    local t=$1 dir=$work/seeds/$t
    rm -rf "$dir"
    mkdir -p "$dir"
    local files=()
    case $t in
        csv_import) files=(tests/fixtures/csv/*.csv tests/fixtures/store/*.csv) ;;
        geojson_import) files=(tests/fixtures/json/*.geojson tests/fixtures/export/*.geojson tests/fixtures/plan.geojson) ;;
        polisen_import) files=(tests/fixtures/json/polisen*.json tests/fixtures/polisen/*.json) ;;
        tiles_toml) cp maps/tiles.toml "$dir/" ;;
    esac
    local f
    for f in "${files[@]}"; do
        [ -s "$f" ] || continue
        { printf '\0'; cat "$f"; } >"$dir/$(basename "$f")"
    done
    if [ -d "fuzz/seeds/$t" ]; then
        cp fuzz/seeds/"$t"/* "$dir/"
    fi
    echo "$dir"
}

failed=0
passed=0
mkdir -p "$work"
summary=$work/summary.txt
printf '%-16s %12s %10s %8s %s\n' target executions exec/s crashes result >"$summary"
for t in $targets; do
    corpus=$work/corpus/$t
    artifacts=$work/artifacts/$t
    mkdir -p "$corpus" "$artifacts"
    seeds=$(seed_dir "$t")
    log=$work/$t.log
    before=$(find "$artifacts" -type f | wc -l)
    echo "== fuzzing $t for ${seconds}s" >&2
    set +e
    fuzz run "$t" "$corpus" "$seeds" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1
    rc=$?
    set -e
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    after=$(find "$artifacts" -type f | wc -l)
    crashes=$((after - before))
    if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
        result="CRASH (exit $rc; log $log)"
        failed=1
        grep -m3 -E "panicked at|SUMMARY|ERROR: libFuzzer|deadly signal|Test unit written" "$log" >&2 || tail -20 "$log" >&2
    else
        result=ok
        passed=$((passed + 1))
    fi
    printf '%-16s %12s %10s %8s %s\n' "$t" "${runs:-?}" "${rate:-?}" "$crashes" "$result" >>"$summary"
done
cat "$summary"
total=$(echo $targets | wc -w)
if [ "$failed" -ne 0 ]; then
    echo "fuzz: a target crashed; the inputs are in $work/artifacts/" >&2
    echo "fuzz: $passed passed, $((total - passed)) failed"
    exit 1
fi
echo "fuzz: $passed passed, 0 failed"

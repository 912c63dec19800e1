#!/usr/bin/env bash
# Peak memory of `lagesbild import` against file size (issue 21: very large
# inputs stream). Generates CSV and GeoJSON files of two sizes each in a temp
# folder (deleted at the end), imports each into a new project with the
# release binary under /usr/bin/time -v, and prints file size, rows, wall
# time and peak RSS (maximum resident set size).
#
#   scripts/big-import.sh                      # CSV 2,000,000 and 29,000,000 rows (~0.15 and ~2.0 GiB),
#                                              # GeoJSON 400,000 and 2,000,000 features (~0.1 and ~0.5 GB)
#   CSV_ROWS="1000000 4000000" JSON_ROWS="100000 400000" scripts/big-import.sh
#   BAD_ROWS="1000000 4000000" CSV_ROWS= JSON_ROWS= scripts/big-import.sh
#                                              # CSV files of only rejected rows, with --rejects
#
# Needs python3 (the generator) and GNU time (/usr/bin/time). Unix only.
# Disk: the 2 GB CSV makes a project of about 8 GB plus its WAL of the same
# size while the import runs; check `df -h` first.
set -euo pipefail
cd "$(dirname "$0")/.."
CSV_ROWS="${CSV_ROWS-2000000 29000000}"
JSON_ROWS="${JSON_ROWS-400000 2000000}"
BAD_ROWS="${BAD_ROWS-}"
# LAGESBILD_BIN names a built binary to measure instead of building one.
if [ -n "${LAGESBILD_BIN:-}" ]; then
  bin="$LAGESBILD_BIN"
else
  target="${CARGO_TARGET_DIR:-target}"
  cargo build --release --quiet --bin lagesbild
  bin="$target/release/lagesbild"
  case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
fi
# BIG_IMPORT_DIR: where the generated files, the project and SQLite's
# temporary sort files go (default /tmp); all of it is deleted at the end.
work="$(mktemp -d "${BIG_IMPORT_DIR:-/tmp}/lagesbild-big-import.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export SQLITE_TMPDIR="$work"

# The same shape of rows as src/import/benchdata.rs: points around
# Sölvesborg, ISO 8601 local times with offset, category and source keys.
generate() { # FORMAT ROWS FILE
python3 - "$1" "$2" "$3" <<'PY'
import random, sys
fmt, rows, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(2026)
cats = ["skadegorelse", "narkotika", "vald", "ordningsstorning", "stold", "brand", "otrygghet", "ovrigt"]
srcs = ["polis", "trygghetsvard", "skola", "socialtjanst", "raddningstjanst", "medborgare", "ovrigt"]
with open(path, "w", buffering=1 << 20) as out:
    if fmt == "bad":
        # Every row has a time no reader takes: all rejected.
        out.write("id,lon,lat,occurred_at,category,source\n")
        for i in range(rows):
            out.write("X%d,14.%04d,56.%04d,kl 25.%02d den %d,vald,polis\n" % (i, 5000 + i % 1000, 400 + i % 900, i % 60, i))
        sys.exit(0)
    if fmt == "csv":
        out.write("id,lon,lat,occurred_at,category,source\n")
    else:
        out.write('{"type": "FeatureCollection", "features": [\n')
    for i in range(rows):
        lon, lat = rnd.uniform(14.47, 14.69), rnd.uniform(55.97, 56.15)
        t = "2025-%02d-%02dT%02d:%02d:00+01:00" % (rnd.randint(1, 12), rnd.randint(1, 28), rnd.randint(0, 23), rnd.randint(0, 59))
        c, s = rnd.choice(cats), rnd.choice(srcs)
        if fmt == "csv":
            out.write("B%d,%.6f,%.6f,%s,%s,%s\n" % (i, lon, lat, t, c, s))
        else:
            sep = "," if i + 1 < rows else ""
            out.write('{"type": "Feature", "properties": {"id": "B%d", "occurred_at": "%s", "category": "%s", "source": "%s", "place": "Plats %d", "precision": 25}, "geometry": {"type": "Point", "coordinates": [%.6f, %.6f]}}%s\n' % (i, t, c, s, i % 500, lon, lat, sep))
    if fmt != "csv":
        out.write("]}\n")
PY
}

printf '%-8s %12s %10s %10s %12s  %s\n' format rows "file MB" "wall s" "peak RSS MB" result
for spec in $(for n in $CSV_ROWS; do echo "csv:$n"; done; for n in $JSON_ROWS; do echo "geojson:$n"; done; for n in $BAD_ROWS; do echo "bad:$n"; done); do
  fmt="${spec%%:*}"; rows="${spec#*:}"
  file="$work/big.$fmt"
  extra=()
  case "$fmt" in
    bad) file="$work/bad.csv"; extra=(--rejects "$work/rejects.csv") ;;
  esac
  generate "$fmt" "$rows" "$file"
  size_mb=$(( $(stat -c %s "$file") / 1048576 ))
  rm -f "$work/p.gpkg"
  set +e
  "/usr/bin/time" -v -o "$work/time.txt" "$bin" import "$work/p.gpkg" "$file" "${extra[@]}" >"$work/out.txt" 2>&1
  status=$?
  set -e
  rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.txt")
  if [ "$fmt" = bad ]; then
    # Nothing imports (exit 1); the rejects file must hold every row.
    result="$(grep -m1 'rejected row(s)' "$work/out.txt" | sed 's/ written to.*//'), $(( $(wc -l < "$work/rejects.csv") - 1 )) in the rejects file"
  elif [ "$status" -eq 0 ]; then
    result="$(grep -m1 'imported' "$work/out.txt" | sed 's/^.*: //')"
  else
    result="exit $status: $(grep -m1 -v '^ *note' "$work/out.txt")"
  fi
  printf '%-8s %12s %10s %10s %12s  %s\n' "$fmt" "$rows" "$size_mb" "$wall" "$(( rss_kb / 1024 ))" "$result"
  rm -f "$file" "$work/p.gpkg" "$work/p.gpkg-wal" "$work/p.gpkg-shm" "$work/rejects.csv"
done

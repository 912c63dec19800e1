#!/usr/bin/env bash
# stats, heatmap, hotspots and places on 1,000,000 incidents via the command line:
# a demo GeoPackage and the same data pushed into a new PostGIS database, each command
# timed with /usr/bin/time -v (twice per store; PostGIS from the point cache stored in
# the database, which `db push` refreshed, then once after emptying it), outputs compared. Needs the test cluster
# and a release build (cargo build --release). Leaves its files in $WORK; delete them after.
set -euo pipefail
BIN=${BIN:-target/release/lagesbild}
W=${WORK:-/tmp/lagesbild-cli-figures}
rm -rf $W; mkdir -p $W
: "${LAGESBILD_TEST_PG_URL:?start the test cluster: eval \"$(scripts/pg-test-cluster.sh start)\"}"
SERVER=${LAGESBILD_TEST_PG_URL%/*}
PSQL="/usr/lib/postgresql/15/bin/psql -X -q -h 127.0.0.1 -p $(echo "${LAGESBILD_TEST_PG_URL##*:}" | cut -d/ -f1) -U postgres"
$PSQL -d postgres -c "DROP DATABASE IF EXISTS cli1m WITH (FORCE)" -c "CREATE DATABASE cli1m TEMPLATE lagesbild_template"
URL="$SERVER/cli1m"
t() { # label, command...
  local label=$1; shift
  /usr/bin/time -v "$@" > $W/$label.out 2> $W/$label.time || { cat $W/$label.time; exit 1; }
  local e=$(grep "Elapsed (wall clock)" $W/$label.time | awk '{print $NF}')
  local r=$(grep "Maximum resident" $W/$label.time | awk '{print $NF}')
  echo "$label elapsed=$e maxrss_kb=$r"
}
cache_state() { # what the database's stored point cache holds
  echo "stored point cache ($1): $($PSQL -d cli1m -t -A -c "SELECT coalesce(string_agg(format('%s: %s chunks, %s points, %s MB', CASE WHEN sees_sensitive THEN 'sensitive' ELSE 'plain' END, n, p, round(b / 1e6, 1)), '; '), 'empty') FROM (SELECT sees_sensitive, count(*) n, max(points) p, sum(octet_length(data)) b FROM lagesbild.lagesbild_points_cache GROUP BY 1) s")"
}
t demo $BIN demo --count 1000000 --seed 20 --out $W/m.gpkg
t dbinit $BIN db init $URL --name bench
t push $BIN db push $W/m.gpkg $URL
cache_state "after db push"
for store in gpkg pg; do
  if [ $store = gpkg ]; then P=$W/m.gpkg; else P=$URL; fi
  # warm: the first analysis builds the GeoPackage's point cache
  $BIN heatmap $P --no-area --out $W/warm_$store.geojson >/dev/null 2>&1
  for round in 1 2; do
    t stats_${store}_$round $BIN stats $P --json
    t heatmap_${store}_$round $BIN heatmap $P --no-area --out $W/heatmap_$store.geojson
    t hotspots_${store}_$round $BIN hotspots $P --no-area --out $W/hotspots_$store.geojson
    t places_${store}_$round $BIN places $P --no-area --out $W/places_$store.geojson
  done
done
# The first command after a change on the database: the stored points are stale,
# so it reads every row (and, run by a writer, stores them again).
for k in hotspots places; do
  $PSQL -d cli1m -c "DELETE FROM lagesbild.lagesbild_points_cache"
  t ${k}_pg_after_change $BIN $k $URL --no-area --out $W/${k}_pg_after_change.geojson
done
cache_state "after the command that read every row"
# db push carries no study area, so both run with --no-area; the outputs must be
# equal but for the project's name in their metadata.
same() { # two GeoJSON outputs: equal but for the project's name in their metadata
  python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
for d in (a, b):
    d["lagesbild"]["made_from"].pop("project", None)
assert a == b, f"{sys.argv[1]} and {sys.argv[2]} differ"
print(sys.argv[2].rsplit("/", 1)[1].removesuffix(".geojson") + ": equal to the GeoPackage's")
PY
}
for k in heatmap hotspots places; do same $W/${k}_gpkg.geojson $W/${k}_pg.geojson; done
for k in hotspots places; do same $W/${k}_gpkg.geojson $W/${k}_pg_after_change.geojson; done
# stats JSON: equal but for the name and location lines
diff <(grep -v -e '"project"' -e '"name"' $W/stats_gpkg_1.out) <(grep -v -e '"project"' -e '"name"' $W/stats_pg_1.out) && echo "stats: equal"

#!/usr/bin/env bash
# stats, heatmap, hotspots and places on 1,000,000 incidents via the command line:
# a demo GeoPackage and the same data pushed into a new PostGIS database, each command
# timed with /usr/bin/time -v (twice per store), outputs compared. Needs the test cluster
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
t demo $BIN demo --count 1000000 --seed 20 --out $W/m.gpkg
t dbinit $BIN db init $URL --name bench
t push $BIN db push $W/m.gpkg $URL
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
# db push carries no study area, so both run with --no-area; the outputs must be
# equal but for the project's name in their metadata.
for k in heatmap hotspots places; do
  python3 - "$W/${k}_gpkg.geojson" "$W/${k}_pg.geojson" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
for d in (a, b):
    d["lagesbild"]["made_from"].pop("project", None)
assert a == b, f"{sys.argv[1]} and {sys.argv[2]} differ"
print(sys.argv[1].rsplit("/", 1)[1].split("_")[0] + ": equal")
PY
done
# stats JSON: equal but for the name and location lines
diff <(grep -v -e '"project"' -e '"name"' $W/stats_gpkg_1.out) <(grep -v -e '"project"' -e '"name"' $W/stats_pg_1.out) && echo "stats: equal"

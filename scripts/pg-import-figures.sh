#!/usr/bin/env bash
# Importing 1,000,000 incidents: the GeoPackage and PostGIS in the same run, the three
# PostGIS cases of the README ("Delad databas"): the owner's first import into an empty
# project, a writer's (lagesbild_write, not the owner) into an empty one, and a writer's
# second million into the project holding the first; beside them the GeoPackage's new
# project and its second million. Input: two demo GeoPackages (seeds 20 and 21, the
# second with ids of its own), read by `lagesbild import` the same way for both stores. Each command timed with /usr/bin/time; the load average printed with it.
# Needs the test cluster (eval "$(scripts/pg-test-cluster.sh start)") and a release
# build. Leaves its files in $WORK (about 1.5 GB); delete them after.
set -euo pipefail
BIN=${BIN:-target/release/lagesbild}
W=${WORK:-/tmp/lagesbild-import-figures}
: "${LAGESBILD_TEST_PG_URL:?start the test cluster: eval \"$(scripts/pg-test-cluster.sh start)\"}"
SERVER=${LAGESBILD_TEST_PG_URL%/*}
PORT=$(echo "${LAGESBILD_TEST_PG_URL##*:}" | cut -d/ -f1)
PSQL="/usr/lib/postgresql/15/bin/psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PORT -U postgres"
mkdir -p $W
for seed in 20 21; do
  [ -f $W/demo$seed.gpkg ] || $BIN demo --count 1000000 --seed $seed --out $W/demo$seed.gpkg >/dev/null
done
# The demo's ids are DEMO-000001 … whatever the seed: give the second file its own, so
# that its million are new incidents, not conflicts with the first.
python3 - $W/demo21.gpkg <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
# The R-tree triggers name these GeoPackage functions; they call them only when a fid
# or a geometry changes (never here), but SQLite wants them defined.
for name in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
    c.create_function(name, 1, lambda g: None, deterministic=True)
c.execute("UPDATE incidents SET external_id = 'S21-' || external_id WHERE external_id NOT LIKE 'S21-%'")
c.commit()
PY
for db in imp_owner imp_writer; do
  $PSQL -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db TEMPLATE lagesbild_template"
  $BIN db init $SERVER/$db --name figures >/dev/null
done
# A writer that is not the owner (the unit's logins), password in PGPASSWORD only.
$PSQL -d postgres -c "DROP ROLE IF EXISTS figures_writer" \
  -c "CREATE ROLE figures_writer LOGIN PASSWORD 'figures'" \
  -c "GRANT lagesbild_write, lagesbild_sensitive TO figures_writer"
WRITER="postgresql://figures_writer@127.0.0.1:$PORT"
t() { # label, command...
  local label=$1; shift
  sync
  local load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f "%e" -o $W/$label.time "$@" >$W/$label.out 2>&1 || { cat $W/$label.out; exit 1; }
  echo "$label $(cat $W/$label.time) s (load before $load, after $(cut -d' ' -f1 /proc/loadavg))"
}
rm -f $W/new.gpkg
t gpkg_new $BIN import $W/new.gpkg $W/demo20.gpkg
t postgis_owner_empty $BIN import $SERVER/imp_owner $W/demo20.gpkg
t postgis_writer_empty env PGPASSWORD=figures $BIN import $WRITER/imp_writer $W/demo20.gpkg
t gpkg_nonempty $BIN import $W/new.gpkg $W/demo21.gpkg
t postgis_writer_nonempty env PGPASSWORD=figures $BIN import $WRITER/imp_writer $W/demo21.gpkg
for db in imp_owner imp_writer; do
  echo "$db: $($PSQL -d $db -Atc "SELECT count(*) FROM lagesbild.incidents") incidents," \
    "indexes $($PSQL -d $db -Atc "SELECT string_agg(indexname, ' ' ORDER BY 1) FROM pg_indexes WHERE tablename = 'incidents'")," \
    "bulk loads $($PSQL -d $db -Atc "SELECT count(*) FROM lagesbild.lagesbild_bulk_loads")"
done
$PSQL -d postgres -c "DROP ROLE IF EXISTS figures_writer" >/dev/null 2>&1 || true

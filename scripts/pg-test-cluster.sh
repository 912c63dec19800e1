#!/usr/bin/env bash
# A throwaway PostgreSQL 15 + PostGIS cluster for the tests of the shared store
# (src/store/pg/, tests/pg*.rs).
#
#   scripts/pg-test-cluster.sh start   # prints `export LAGESBILD_TEST_PG_URL=…`
#   scripts/pg-test-cluster.sh stop
#   eval "$(scripts/pg-test-cluster.sh start)"
#
# The cluster lives in $LAGESBILD_PG_DIR (default /tmp/lagesbild-pg-test), listens
# on a free port on 127.0.0.1 only, and runs as the unprivileged `postgres` user
# when started as root (CI runs as root; PostgreSQL refuses to run as root).
# Authentication: the superuser `postgres` is trusted from 127.0.0.1 (the tests'
# administrator); every other login needs its password (scram-sha-256), so the
# tests of pgpass files, PGPASSWORD and the roles are real. TLS is on with a
# certificate for localhost/127.0.0.1 signed by a test CA ($DIR/root.crt), so
# sslmode=require and verify-full can be tested.
#
# The database `lagesbild_template` has the postgis extension; each test makes
# its own database from it (CREATE DATABASE … TEMPLATE lagesbild_template), so
# tests run in parallel.
set -euo pipefail

BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
DIR=${LAGESBILD_PG_DIR:-/tmp/lagesbild-pg-test}
DATA="$DIR/data"
SOCK="$DIR/sock"

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

die() {
  echo "pg-test-cluster.sh: $*" >&2
  exit 1
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  [ -x "$BIN/initdb" ] || die "no $BIN/initdb: install postgresql-15 (scripts/install-test-tools.sh)"
  [ -f /usr/share/postgresql/15/extension/postgis.control ] ||
    die "PostGIS is missing: install postgresql-15-postgis-3 (scripts/install-test-tools.sh)"
  if [ -f "$DIR/url" ] && as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    echo "export LAGESBILD_TEST_PG_URL='$(cat "$DIR/url")'"
    echo "export LAGESBILD_TEST_PG_CERT='$DIR/root.crt'"
    return
  fi
  rm -rf "$DIR"
  mkdir -p "$DATA" "$SOCK"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "no postgres user (install postgresql-15)"
    chown -R postgres:postgres "$DIR"
  fi
  chmod 700 "$DATA"
  as_pg "$BIN/initdb" -D "$DATA" -A trust -U postgres \
    -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 ||
    { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
  cat >"$DATA/pg_hba.conf" <<'EOF'
local all postgres trust
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
EOF
  # A test certificate authority and a server certificate for localhost and
  # 127.0.0.1 signed by it, for sslmode=require and verify-full
  # ($DIR/root.crt is the root to trust).
  if command -v openssl >/dev/null 2>&1; then
    {
      openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=Lagesbild test CA" \
        -keyout "$DIR/root.key" -out "$DIR/root.crt" &&
        openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
          -keyout "$DATA/server.key" -out "$DIR/server.csr" &&
        printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$DIR/server.ext" &&
        openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/root.crt" -CAkey "$DIR/root.key" \
          -CAcreateserial -days 30 -extfile "$DIR/server.ext" -out "$DATA/server.crt"
    } >/dev/null 2>&1 || die "openssl could not make the test certificates"
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$DATA/server.key" "$DATA/server.crt"; fi
    chmod 600 "$DATA/server.key"
    SSL="-c ssl=on"
  else
    die "openssl is missing (needed for the TLS test certificate)"
  fi
  local port
  port=$(free_port)
  as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 30 \
    -o "-p $port -k $SOCK -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off $SSL" \
    start >/dev/null || { cat "$DIR/server.log" >&2; die "the server did not start"; }
  local psql=("$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
  as_pg "${psql[@]}" -d postgres -c "CREATE DATABASE lagesbild_template" >/dev/null
  as_pg "${psql[@]}" -d lagesbild_template -c "CREATE EXTENSION postgis" >/dev/null ||
    die "CREATE EXTENSION postgis failed"
  local url="postgresql://postgres@127.0.0.1:$port/lagesbild_template"
  echo "$url" >"$DIR/url"
  echo "$port" >"$DIR/port"
  echo "export LAGESBILD_TEST_PG_URL='$url'"
  echo "export LAGESBILD_TEST_PG_CERT='$DIR/root.crt'"
}

stop() {
  if [ -d "$DATA" ]; then
    as_pg "$BIN/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) die "usage: $0 start|stop" ;;
esac

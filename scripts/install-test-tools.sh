#!/usr/bin/env bash
# Installs the reference tools the tests check our output with: GDAL's ogrinfo
# and gdalinfo (Debian gdal-bin), its GeoPackage validator (python3-gdal) and
# poppler's pdftoppm/pdftotext/pdfinfo (poppler-utils) for the PDF report, and
# PostgreSQL 15 with PostGIS (postgresql-15-postgis-3) for the shared store.
# Idempotent and quick when they are already there. Fails (exit 1) when a tool
# is missing and cannot be installed, so that CI never runs without them.
set -euo pipefail

need=()
command -v ogrinfo >/dev/null 2>&1 || need+=(gdal-bin)
[ -f /usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py ] || need+=(python3-gdal)
command -v python3 >/dev/null 2>&1 || need+=(python3)
# pdftoppm / pdftotext / pdfinfo check the PDF report (tests/report.rs).
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
# A throwaway PostgreSQL 15 + PostGIS cluster for the shared store's tests
# (scripts/pg-test-cluster.sh), and openssl for its test TLS certificate.
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
[ -f /usr/share/postgresql/15/extension/postgis.control ] || need+=(postgresql-15-postgis-3)
command -v openssl >/dev/null 2>&1 || need+=(openssl)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing test tools: ${need[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "install-test-tools.sh: cannot install ${need[*]}: not root and no sudo." >&2
  echo "Install them with: apt-get install -y ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }; then
  echo "install-test-tools.sh: apt-get could not install ${need[*]}" >&2
  exit 1
fi
for tool in ogrinfo gdalinfo python3; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "install-test-tools.sh: $tool still missing after installing ${need[*]}" >&2
    exit 1
  }
done
[ -f /usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py ] || {
  echo "install-test-tools.sh: validate_gpkg.py still missing after installing ${need[*]}" >&2
  exit 1
}
[ -f /usr/share/postgresql/15/extension/postgis.control ] || {
  echo "install-test-tools.sh: PostGIS still missing after installing ${need[*]}" >&2
  exit 1
}

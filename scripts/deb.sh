#!/usr/bin/env bash
# Builds the Debian package with cargo-deb (installed first if missing):
#   scripts/deb.sh                 → <target>/debian/lagesbild_<version>-1_<arch>.deb (release build)
#   scripts/deb.sh --install-test  → the whole check instead: scripts/deb-check.sh
#       (build, desktop-file-validate, dpkg -i, lagesbild --version, the
#       installed app under xvfb-run with a screenshot, dpkg -r; needs root).
# LAGESBILD_DEB_PROFILE=NAME packages another Cargo profile's binary (e.g.
# "profiling"); the default is release.
set -euo pipefail
cd "$(dirname "$0")/.."

for arg in "$@"; do
  case "$arg" in
    --install-test) exec scripts/deb-check.sh ;;
    *) echo "deb.sh: unknown argument $arg (use --install-test)" >&2; exit 2 ;;
  esac
done

if ! command -v cargo-deb >/dev/null 2>&1; then
  echo "deb.sh: installing cargo-deb (cargo install cargo-deb --locked)" >&2
  cargo install cargo-deb --locked
fi

# The icon is drawn by a script (committed; redrawn so it stays in step).
python3 packaging/make_icon.py packaging/lagesbild.svg

profile="${LAGESBILD_DEB_PROFILE:-release}"
target_dir="${CARGO_TARGET_DIR:-target}"
out_dir="$target_dir/debian"
mkdir -p "$out_dir"
cargo build --profile "$profile" --bin lagesbild
cargo deb --no-build --profile "$profile" --output "$out_dir"
deb="$(ls -t "$out_dir"/lagesbild_*.deb | head -n 1)"
echo "deb.sh: built $deb"
dpkg-deb --info "$deb" | sed -n '1,40p'
dpkg-deb --contents "$deb"

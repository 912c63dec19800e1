#!/usr/bin/env bash
# Builds the Debian package with cargo-deb (installed first if missing):
#   scripts/deb.sh                 → target/debian/lagesbild_<version>-1_<arch>.deb (release build)
#   scripts/deb.sh --install-test  → also installs it here (dpkg -i, needs root),
#       runs `lagesbild --version` from /usr/bin, starts the app under xvfb-run for
#       a few seconds and saves a screenshot to target/debian/installed.png.
# LAGESBILD_DEB_PROFILE=NAME packages another Cargo profile's binary (e.g.
# "profiling"); the default is release.
set -euo pipefail
cd "$(dirname "$0")/.."

install_test=0
for arg in "$@"; do
  case "$arg" in
    --install-test) install_test=1 ;;
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

if [ "$install_test" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "deb.sh: --install-test installs the package: run as root" >&2
  exit 1
fi
# dpkg -i leaves missing dependencies unconfigured; apt-get -f install fetches them.
if ! dpkg -i "$deb"; then
  apt-get -y -f install
fi
test -x /usr/bin/lagesbild
/usr/bin/lagesbild --version
test -f /usr/share/applications/lagesbild.desktop
test -f /usr/share/icons/hicolor/scalable/apps/lagesbild.svg
test -f /usr/share/lagesbild/maps/tiles.toml
if command -v desktop-file-validate >/dev/null 2>&1; then
  desktop-file-validate /usr/share/applications/lagesbild.desktop
fi

# The installed app starts (on a fresh HOME: it writes its demo project
# there and must find the packaged maps list), stays up for a few seconds and
# is photographed; it must still be running when the picture is taken.
home="$(mktemp -d)"
case "$out_dir" in
  /*) shot="$out_dir/installed.png" ;;
  *) shot="$(pwd)/$out_dir/installed.png" ;;
esac
rm -f "$shot"
( cd "$home" && HOME="$home" XDG_STATE_HOME="$home/state" xvfb-run -a -s "-screen 0 1280x800x24" \
    sh -c '/usr/bin/lagesbild & app=$!; sleep 12; kill -0 $app || exit 3; import -window root "$1"; kill $app; wait $app || true' sh "$shot" )
test -s "$shot"
echo "deb.sh: the installed app ran; screenshot $shot"
if [ -f "$home/state/lagesbild/lagesbild.log" ]; then
  echo "deb.sh: its log:"; cat "$home/state/lagesbild/lagesbild.log"
fi
rm -rf "$home"

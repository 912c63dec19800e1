#!/usr/bin/env bash
# Builds the Debian package and checks it end to end on this machine, as
# municipal IT would install it:
#
#   sudo scripts/deb-check.sh [--lintian] [--keep]
#
#  1. builds the package (scripts/deb.sh: release binary, cargo-deb);
#  2. checks the desktop entry with desktop-file-validate (Debian
#     desktop-file-utils) and, with --lintian, the package with lintian;
#  3. installs it (dpkg -i), runs /usr/bin/lagesbild --version and checks that
#     every packaged file is in place;
#  4. starts the installed app under xvfb-run on a fresh home (it writes the
#     demo project there and must find the packaged maps list), waits until
#     the picture is still, checks the app is still running and that the
#     picture is not blank, and saves it as <target>/debian/installed.png;
#  5. removes the package again (dpkg -r; --keep leaves it installed) and
#     checks that /usr/bin/lagesbild is gone.
#
# Prints the figures the README's "Installing" section records: package and
# installed size, number of files, the binary's size, the times taken.
# Missing tools (desktop-file-utils, xvfb, imagemagick, xdotool, and lintian
# with --lintian) are installed with apt-get. Needs root (dpkg -i). Exits
# non-zero on the first check that fails, saying which.
# Environment: CARGO_TARGET_DIR (where the binary and package go),
# LAGESBILD_DEB_PROFILE (as scripts/deb.sh), DEB_CHECK_WAIT_S (longest wait
# for a still picture, default 40).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

lintian=0
keep=0
for arg in "$@"; do
  case "$arg" in
    --lintian) lintian=1 ;;
    --keep) keep=1 ;;
    *) echo "deb-check.sh: unknown argument $arg (use --lintian, --keep)" >&2; exit 2 ;;
  esac
done

fail() { echo "deb-check.sh: FAILED: $*" >&2; exit 1; }
step() { echo "== deb-check.sh: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  fail "installs the package with dpkg -i: run as root (sudo -E scripts/deb-check.sh)"
fi

# A release build needs room (the target dir grows by a few GB).
target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$target_dir" in /*) ;; *) target_dir="$ROOT/$target_dir" ;; esac
mkdir -p "$target_dir"
free_kb=$(df -Pk "$target_dir" | awk 'NR == 2 { print $4 }')
if [ "$free_kb" -lt $((8 * 1024 * 1024)) ]; then
  fail "only $((free_kb / 1024)) MB free where $target_dir is; a release build wants 8 GB"
fi

need=()
command -v desktop-file-validate >/dev/null 2>&1 || need+=(desktop-file-utils)
command -v xvfb-run >/dev/null 2>&1 || need+=(xvfb)
{ command -v import >/dev/null 2>&1 && command -v compare >/dev/null 2>&1; } || need+=(imagemagick)
command -v xdotool >/dev/null 2>&1 || need+=(xdotool)
if [ "$lintian" -eq 1 ]; then
  command -v lintian >/dev/null 2>&1 || need+=(lintian)
fi
if [ ${#need[@]} -gt 0 ]; then
  step "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null ||
    fail "apt-get could not install ${need[*]}"
fi

# 1. Build.
step "building the package (scripts/deb.sh)"
t0=$(date +%s)
CARGO_TARGET_DIR="$target_dir" scripts/deb.sh >"$target_dir/deb-build.log" 2>&1 ||
  { tail -n 40 "$target_dir/deb-build.log" >&2; fail "scripts/deb.sh (log: $target_dir/deb-build.log)"; }
t_build=$(( $(date +%s) - t0 ))
deb="$(ls -t "$target_dir"/debian/lagesbild_*.deb | head -n 1)"
[ -s "$deb" ] || fail "no package in $target_dir/debian"
echo "package: $deb"

# 2. The desktop entry and the package's own checks.
step "desktop-file-validate"
entry_dir="$(mktemp -d)"
trap 'rm -rf "$entry_dir"' EXIT
dpkg-deb -x "$deb" "$entry_dir/root"
desktop-file-validate "$entry_dir/root/usr/share/applications/lagesbild.desktop" ||
  fail "desktop-file-validate found problems in the packaged desktop entry"
echo "desktop entry: valid"
if [ "$lintian" -eq 1 ]; then
  step "lintian"
  # Errors fail the check; warnings are printed.
  lintian --tag-display-limit 0 "$deb" | tee "$target_dir/debian/lintian.txt" || true
  if grep -q '^E:' "$target_dir/debian/lintian.txt"; then
    fail "lintian reports errors (see $target_dir/debian/lintian.txt)"
  fi
fi

# 3. Install.
step "dpkg -i"
t0=$(date +%s)
if ! dpkg -i "$deb"; then
  # dpkg -i leaves missing dependencies unconfigured; apt-get -f install fetches them.
  apt-get -y -f install || fail "the package's dependencies could not be installed"
fi
t_install=$(( $(date +%s) - t0 ))
dpkg -s lagesbild | grep -q '^Status: install ok installed' || fail "dpkg does not list lagesbild as installed"
version="$(/usr/bin/lagesbild --version)" || fail "/usr/bin/lagesbild --version"
echo "installed: $version"
files=0
while IFS= read -r f; do
  [ -e "$f" ] || fail "packaged file missing after install: $f"
  [ -f "$f" ] && files=$((files + 1))
done < <(dpkg -L lagesbild)
for f in /usr/bin/lagesbild /usr/share/applications/lagesbild.desktop \
  /usr/share/icons/hicolor/scalable/apps/lagesbild.svg /usr/share/lagesbild/maps/tiles.toml \
  /usr/share/lagesbild/data/solvesborgs_kommun.geojson /usr/share/doc/lagesbild/copyright; do
  [ -f "$f" ] || fail "$f is not installed"
done

# 4. The installed app, started as a user would, photographed.
step "starting the installed app under xvfb-run"
home="$(mktemp -d)"
shot="$target_dir/debian/installed.png"
rm -f "$shot"
cat >"$home/run.sh" <<'EOF'
#!/usr/bin/env bash
set -u
SHOT="$1" WAIT_S="$2" LOG="$3"
/usr/bin/lagesbild >"$LOG" 2>&1 &
APP=$!
sleep 4
prev="$SHOT.prev.png"
import -window root "$prev"
for _ in $(seq 1 "$WAIT_S"); do
  sleep 1
  kill -0 "$APP" 2>/dev/null || { echo "the app exited early" >&2; exit 3; }
  import -window root "$SHOT"
  diff=$(compare -metric AE "$prev" "$SHOT" null: 2>&1 || true)
  [ "${diff%% *}" = "0" ] && break
  mv "$SHOT" "$prev"
done
[ -f "$SHOT" ] || mv "$prev" "$SHOT"
rm -f "$prev"
kill -0 "$APP" 2>/dev/null || { echo "the app exited before the picture" >&2; exit 3; }
W=$(xdotool search --class lagesbild 2>/dev/null | head -1)
[ -n "$W" ] && xdotool windowfocus --sync "$W" key ctrl+q 2>/dev/null
for _ in $(seq 1 20); do kill -0 "$APP" 2>/dev/null || break; sleep 0.25; done
kill "$APP" 2>/dev/null || true
wait "$APP" 2>/dev/null || true
EOF
chmod +x "$home/run.sh"
t0=$(date +%s)
( cd "$home" && HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_CACHE_HOME="$home/.cache" \
    XDG_DATA_HOME="$home/.local/share" XDG_STATE_HOME="$home/.local/state" \
    xvfb-run -a -s "-screen 0 1280x800x24" "$home/run.sh" "$shot" "${DEB_CHECK_WAIT_S:-40}" "$home/app.out" ) ||
  { cat "$home/app.out" >&2 || true; fail "the installed app did not keep running under xvfb-run"; }
t_app=$(( $(date +%s) - t0 ))
[ -s "$shot" ] || fail "no screenshot was taken"
# A blank screen (the app drew nothing) has a handful of colours; the map, its
# menus and the demo incidents have hundreds.
colours=$(identify -format '%k' "$shot")
[ "$colours" -ge 100 ] || fail "the screenshot has only $colours colours: the window looks blank"
demo="$home/.local/share/lagesbild/demo-solvesborg-2026.gpkg"
[ -s "$demo" ] || fail "the installed app did not write its demo project ($demo)"
log="$home/.local/state/lagesbild/lagesbild.log"
[ -s "$log" ] || fail "the installed app wrote no log ($log)"
echo "the installed app ran ${t_app} s, wrote its demo project and log; screenshot $shot ($colours colours)"
echo "its log:"; sed 's/^/  /' "$log"
rm -rf "$home"

# 5. Remove.
if [ "$keep" -eq 0 ]; then
  step "dpkg -r"
  dpkg -r lagesbild >/dev/null || fail "dpkg -r lagesbild"
  [ ! -e /usr/bin/lagesbild ] || fail "/usr/bin/lagesbild is still there after dpkg -r"
  [ ! -e /usr/share/applications/lagesbild.desktop ] || fail "the desktop entry is still there after dpkg -r"
fi

deb_bytes=$(stat -c %s "$deb")
installed_kb=$(dpkg-deb -f "$deb" Installed-Size)
bin_bytes=$(dpkg-deb -c "$deb" | awk '$NF ~ /usr\/bin\/lagesbild$/ { print $3 }')
echo "deb-check.sh: ok"
echo "  package        $(basename "$deb"), $((deb_bytes / 1024 / 1024)) MB ($deb_bytes bytes)"
echo "  installed size $((installed_kb / 1024)) MB; $files files; binary $((bin_bytes / 1024 / 1024)) MB"
echo "  depends        $(dpkg-deb -f "$deb" Depends)"
echo "  times          build ${t_build} s, install ${t_install} s, app ${t_app} s"

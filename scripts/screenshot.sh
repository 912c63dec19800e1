#!/usr/bin/env bash
# Takes a screenshot of the desktop app on the synthetic demo project:
#
#   scripts/screenshot.sh [OUT.png]      (default docs/screenshot.png)
#
# Builds the release binary if it is missing or older than the sources, runs
# it under xvfb-run (1280x800) with a fresh temporary HOME and XDG dirs (so no
# personal settings, cache or tiles are used), opens the demo project on the
# town of Sölvesborg with the "evenings and nights" filter so that single
# incident points are drawn, waits until the picture stops changing and
# captures the screen with ImageMagick's `import`. Without network the map
# shows its plain background and the offline note.
#
# Needs xvfb-run (Debian xvfb) and import/compare (imagemagick); installs them
# with apt when run as root or with sudo, else stops with a clear message.
# Environment: CARGO_TARGET_DIR (where the release binary is), SCREENSHOT_WAIT_S
# (longest wait for a still picture, default 40), SCREENSHOT_CLICK ("X Y" on
# the screen to click to select an incident, default "620 180"; empty: none),
# SCREENSHOT_STEPS (an xdotool script file run after that click, one command a
# line — e.g. to open a window, type into a form and press its buttons).
# SCREENSHOT_VIEW ("LON LAT ZOOM" of the map, default "14.5865 56.0515 15.0";
# e.g. "14.70 56.09 11.0" shows the whole municipality on the plain background).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/docs/screenshot.png}"
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac
WAIT_S="${SCREENSHOT_WAIT_S:-40}"
read -r VIEW_LON VIEW_LAT VIEW_ZOOM <<<"${SCREENSHOT_VIEW:-14.5865 56.0515 15.0}"

need=()
command -v xvfb-run >/dev/null 2>&1 || need+=(xvfb)
{ command -v import >/dev/null 2>&1 && command -v compare >/dev/null 2>&1; } || need+=(imagemagick)
command -v xdotool >/dev/null 2>&1 || need+=(xdotool)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo"
  else
    echo "screenshot.sh: missing ${need[*]} (xvfb-run, ImageMagick's import/compare, xdotool)." >&2
    echo "Install them with: sudo apt-get install -y ${need[*]}" >&2
    exit 2
  fi
  echo "Installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  for tool in xvfb-run import compare; do
    command -v "$tool" >/dev/null 2>&1 || {
      echo "screenshot.sh: $tool still missing after installing ${need[*]}" >&2
      exit 2
    }
  done
fi

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/release/lagesbild"
if [ ! -x "$BIN" ] || [ -n "$(find "$ROOT/src" "$ROOT/Cargo.toml" -newer "$BIN" -print -quit)" ]; then
  echo "Building the release binary …" >&2
  (cd "$ROOT" && cargo build --release --quiet)
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home/.config" XDG_CACHE_HOME="$TMP/home/.cache" \
  XDG_DATA_HOME="$TMP/home/.local/share"
mkdir -p "$XDG_DATA_HOME/lagesbild" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"
# The app's saved state (eframe's app.ron): the window, the evening and night
# filter and a view of the town at zoom 15, where incidents are points.
cat >"$XDG_DATA_HOME/lagesbild/app.ron" <<RON
{
    "lagesbild_state": "(language:Swedish,filter:(from:None,to:None,categories:None,sources:None,hours:Some((start:18,end:6)),weekdays:None),map_memory:Some((center_mode:Exact(((x:$VIEW_LON,y:$VIEW_LAT))),zoom:($VIEW_ZOOM))))",
    "window": "(normal_geometry:(outer_position_pixels:Some((x:0.0,y:0.0)),scale_factor:1.0,inner_size_points:(x:1280.0,y:800.0)),fullscreen:false,maximized:false)",
}
RON

cat >"$TMP/run.sh" <<'EOF'
#!/usr/bin/env bash
set -u
BIN="$1" SHOT="$2" WAIT_S="$3" LOG="$4"
"$BIN" gui >"$LOG" 2>&1 &
APP=$!
# Wait for a picture that no longer changes (project read, filter applied,
# map drawn), at least 4 s after start.
sleep 4
# Select one incident (a point on the path north of the centre in the
# deterministic demo) so the details panel shows, then move the pointer off
# the map so no tooltip covers it.
if [ -n "${CLICK_AT:-}" ]; then
  W=$(xdotool search --class lagesbild 2>/dev/null | head -1)
  [ -n "$W" ] && xdotool windowfocus --sync "$W" 2>/dev/null
  xdotool mousemove $CLICK_AT click 1 sleep 0.5 mousemove 1270 790 2>/dev/null || true
  sleep 1
fi
if [ -n "${STEPS_FILE:-}" ]; then
  xdotool "$STEPS_FILE" 2>/dev/null || true
  sleep 2
fi
prev="$SHOT.prev.png"
import -window root "$prev"
still=0
for _ in $(seq 1 "$WAIT_S"); do
  sleep 1
  if ! kill -0 "$APP" 2>/dev/null; then
    echo "screenshot.sh: the app exited early; its log:" >&2
    cat "$LOG" >&2
    exit 3
  fi
  import -window root "$SHOT"
  diff=$(compare -metric AE "$prev" "$SHOT" null: 2>&1 || true)
  if [ "${diff%% *}" = "0" ]; then
    still=1
    break
  fi
  mv "$SHOT" "$prev"
done
[ -f "$SHOT" ] || mv "$prev" "$SHOT"
rm -f "$prev"
[ "$still" = 1 ] || echo "screenshot.sh: the picture kept changing; captured the last one" >&2
# Quit as a user would (Ctrl+Q), so the app shuts down cleanly.
W=$(xdotool search --class lagesbild 2>/dev/null | head -1)
if [ -n "$W" ]; then
  xdotool windowfocus --sync "$W" key ctrl+q 2>/dev/null || true
fi
for _ in $(seq 1 20); do kill -0 "$APP" 2>/dev/null || break; sleep 0.25; done
kill "$APP" 2>/dev/null || true
wait "$APP" 2>/dev/null || true
EOF
chmod +x "$TMP/run.sh"

CLICK_AT="${SCREENSHOT_CLICK:-620 180}" STEPS_FILE="${SCREENSHOT_STEPS:-}" \
  xvfb-run -a -s "-screen 0 1280x800x24" "$TMP/run.sh" "$BIN" "$TMP/shot.png" "$WAIT_S" "$TMP/app.log"
[ -s "$TMP/shot.png" ] || { echo "screenshot.sh: no picture was taken" >&2; exit 3; }
mkdir -p "$(dirname "$OUT")"
mv "$TMP/shot.png" "$OUT"
echo "$OUT"

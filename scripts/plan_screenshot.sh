#!/usr/bin/env bash
# Screenshot of the patrol plan in the desktop app (README "Patrullplanering"):
#
#   scripts/plan_screenshot.sh [OUT.png]      (default docs/plan.png)
#
# Like scripts/screenshot.sh (which it follows: xvfb-run 1280x800, a fresh
# temporary HOME, ImageMagick's import once the picture is still): writes a
# synthetic demo project, imports the plan of tests/fixtures/plan.geojson into
# it with `lagesbild plan import` (two areas, one with a hole, and a route
# with three numbered stops), opens it on Sölvesborg's centre with the
# evening and night filter, opens the Patrullplan window (a click on the menu
# at PLAN_MENU_AT, default "222 12", then on its entry "Planfönstret" at
# PLAN_ENTRY_AT, default "250 38"; first the offline tiles note is hidden
# with its "Dölj" button at PLAN_DISMISS_AT, default "835 47") and selects the route (a click on it at
# PLAN_SELECT_AT, default "661 402"), so that the attributes, stops and
# coverage table show. Needs the release binary (built when missing; LAGESBILD_BIN
# names another build to use), xvfb-run,
# import/compare and xdotool.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/docs/plan.png}"
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac
for tool in xvfb-run import compare xdotool; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "plan_screenshot.sh: $tool is missing (apt-get install xvfb imagemagick xdotool)" >&2
    exit 2
  }
done
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="${LAGESBILD_BIN:-$TARGET/release/lagesbild}"
if [ -z "${LAGESBILD_BIN:-}" ] && { [ ! -x "$BIN" ] || [ -n "$(find "$ROOT/src" "$ROOT/Cargo.toml" -newer "$BIN" -print -quit)" ]; }; then
  echo "Building the release binary …" >&2
  (cd "$ROOT" && cargo build --release --quiet)
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home/.config" XDG_CACHE_HOME="$TMP/home/.cache" \
  XDG_DATA_HOME="$TMP/home/.local/share"
mkdir -p "$XDG_DATA_HOME/lagesbild" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"
PROJECT="$TMP/plan-demo.gpkg"
"$BIN" demo --out "$PROJECT" >/dev/null
"$BIN" plan import "$PROJECT" "$ROOT/tests/fixtures/plan.geojson" >/dev/null
cat >"$XDG_DATA_HOME/lagesbild/app.ron" <<RON
{
    "lagesbild_state": "(language:Swedish,filter:(from:None,to:None,categories:None,sources:None,hours:Some((start:18,end:6)),weekdays:None),map_memory:Some((center_mode:Exact(((x:14.5867,y:56.0539))),zoom:(15.0))))",
    "window": "(normal_geometry:(outer_position_pixels:Some((x:0.0,y:0.0)),scale_factor:1.0,inner_size_points:(x:1280.0,y:800.0)),fullscreen:false,maximized:false)",
}
RON

cat >"$TMP/run.sh" <<'SH'
#!/usr/bin/env bash
set -u
BIN="$1" PROJECT="$2" SHOT="$3" LOG="$4"
"$BIN" gui "$PROJECT" >"$LOG" 2>&1 &
APP=$!
sleep 6
W=$(xdotool search --class lagesbild 2>/dev/null | head -1)
[ -n "$W" ] && xdotool windowfocus --sync "$W" 2>/dev/null
xdotool mousemove $DISMISS_AT click 1 2>/dev/null || true
sleep 0.5
xdotool mousemove $MENU_AT click 1 2>/dev/null || true
sleep 1
xdotool mousemove $ENTRY_AT click 1 2>/dev/null || true
sleep 2
xdotool mousemove $SELECT_AT click 1 sleep 0.5 mousemove 1270 790 2>/dev/null || true
sleep 2
prev="$SHOT.prev.png"
import -window root "$prev"
for _ in $(seq 1 40); do
  sleep 1
  import -window root "$SHOT"
  diff=$(compare -metric AE "$prev" "$SHOT" null: 2>&1 || true)
  [ "${diff%% *}" = "0" ] && break
  mv "$SHOT" "$prev"
done
[ -f "$SHOT" ] || mv "$prev" "$SHOT"
rm -f "$prev"
[ -n "$W" ] && xdotool windowfocus --sync "$W" key ctrl+q 2>/dev/null || true
for _ in $(seq 1 20); do kill -0 "$APP" 2>/dev/null || break; sleep 0.25; done
kill "$APP" 2>/dev/null || true
wait "$APP" 2>/dev/null || true
SH
chmod +x "$TMP/run.sh"
DISMISS_AT="${PLAN_DISMISS_AT:-835 47}" MENU_AT="${PLAN_MENU_AT:-222 12}" ENTRY_AT="${PLAN_ENTRY_AT:-250 38}" SELECT_AT="${PLAN_SELECT_AT:-661 402}" \
  xvfb-run -a -s "-screen 0 1280x800x24" "$TMP/run.sh" "$BIN" "$PROJECT" "$TMP/shot.png" "$TMP/app.log"
[ -s "$TMP/shot.png" ] || { echo "plan_screenshot.sh: no picture was taken" >&2; exit 3; }
mkdir -p "$(dirname "$OUT")"
mv "$TMP/shot.png" "$OUT"
echo "$OUT"

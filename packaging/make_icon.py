#!/usr/bin/env python3
"""Draws the app icon (packaging/lagesbild.svg): a map pin over a heat spot on
a square map tile, in the app's colours. Run by scripts/deb.sh; the output is
committed so a checkout builds the package without running it."""
import math
import sys

SIZE = 256


def ring(cx, cy, r, n=48):
    return " ".join(
        f"{cx + r * math.cos(2 * math.pi * i / n):.1f},{cy + r * math.sin(2 * math.pi * i / n):.1f}"
        for i in range(n)
    )


def icon():
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}">',
        '<title>Lägesbild</title>',
        # The tile: light land, a coastline, a road.
        '<rect x="8" y="8" width="240" height="240" rx="36" fill="#eef2e6" stroke="#5b6b4a" stroke-width="6"/>',
        '<path d="M8 190 C 70 170, 110 215, 170 196 S 230 160, 248 176 L 248 212 Q 248 248 212 248 L 44 248 Q 8 248 8 212 Z" fill="#a8c8e8"/>',
        '<path d="M30 60 L 120 110 L 226 70" fill="none" stroke="#ffffff" stroke-width="10" stroke-linecap="round"/>',
    ]
    # The heat spot: concentric translucent rings, warm in the centre.
    for r, colour, alpha in [(86, "#fdd49e", 0.55), (62, "#fc8d59", 0.6), (38, "#d7301f", 0.7)]:
        parts.append(f'<polygon points="{ring(128, 132, r)}" fill="{colour}" fill-opacity="{alpha}"/>')
    # The pin.
    parts.append(
        '<path d="M128 36 C 98 36, 80 58, 80 84 C 80 118, 128 160, 128 160 C 128 160, 176 118, 176 84 C 176 58, 158 36, 128 36 Z" '
        'fill="#1b4f72" stroke="#ffffff" stroke-width="6"/>'
    )
    parts.append('<circle cx="128" cy="84" r="17" fill="#ffffff"/>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "lagesbild.svg"
    with open(out, "w", encoding="utf-8") as f:
        f.write(icon())

"""Draws the installable app's PNG icons from the shapes of static/peeka/favicon.svg, so they
can be regenerated after the mark changes: `python -m peeka.web.icons`."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parent / "static" / "peeka" / "icons"

INDIGO = (0x3B, 0x3F, 0x9E, 255)
WHITE = (255, 255, 255, 255)
YELLOW = (0xFF, 0xC8, 0x57, 255)
CLEAR = (0, 0, 0, 0)

VIEWBOX = 64.0
"""favicon.svg draws on a 64x64 grid; every coordinate below is on it."""
CORNER = 14.0
STROKE = 4.0
SUPERSAMPLE = 4
"""Drawn this many times larger, then shrunk: Pillow draws without anti-aliasing."""
SAFE_ZONE = 0.4
"""A maskable icon's launcher may crop everything outside a centred circle of this radius
(a fraction of the side); the mark must fit inside it."""
MASKABLE_SCALE = 0.8
"""The mark on a maskable icon, relative to its size on the favicon: its strokes then reach
0.28 of the side from the centre, well inside SAFE_ZONE."""

Point = tuple[float, float]
Curve = tuple[Point, Point, Point, Point]

# The face outline of favicon.svg ("M32 12c-10.5 0-18 8.3-18 19.5C14 43 22 52 32 52s18-9
# 18-20.5C50 20.3 42.5 12 32 12z") as absolute cubic Béziers.
FACE: tuple[Curve, ...] = (
    ((32, 12), (21.5, 12), (14, 20.3), (14, 31.5)),
    ((14, 31.5), (14, 43), (22, 52), (32, 52)),
    ((32, 52), (42, 52), (50, 43), (50, 31.5)),
    ((50, 31.5), (50, 20.3), (42.5, 12), (32, 12)),
)
SMILE: Curve = ((26, 41), (29.5, 44), (34.5, 44), (38, 41))
OPEN_EYE: Point = (25, 30)
OPEN_EYE_RADIUS = 3.5
WINK: tuple[Point, Point] = ((35.5, 30), (42.5, 30))

SIZES: dict[str, tuple[int, bool]] = {
    "icon-192.png": (192, False),
    "icon-512.png": (512, False),
    "maskable-512.png": (512, True),
    # iOS rounds the corners itself and shows transparency as black: a full square.
    "apple-touch-icon.png": (180, True),
}
"""File name: (side in pixels, full-bleed square)."""


def _bezier(curve: Curve, steps: int = 48) -> Iterator[Point]:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = curve
    for i in range(steps + 1):
        t = i / steps
        a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
        yield (a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3)


def _stroke(
    draw: ImageDraw.ImageDraw, points: list[Point], width: float, colour: tuple[int, ...]
) -> None:
    """A polyline with round joins and round caps, as the SVG's strokes are drawn: each
    segment a wide line, each vertex a disc (Pillow's own joints leave slivers)."""
    radius = width / 2
    for start, end in itertools.pairwise(points):
        draw.line((start, end), fill=colour, width=round(width))
    for x, y in points:
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)


def draw_icon(size: int, *, full_bleed: bool) -> Image.Image:
    """The mark at `size` pixels: on a rounded indigo square (`full_bleed` False, as the
    favicon), or on a full indigo square with the mark shrunk into the maskable safe zone."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), INDIGO if full_bleed else CLEAR)
    draw = ImageDraw.Draw(image)
    unit = big / VIEWBOX
    if not full_bleed:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=CORNER * unit, fill=INDIGO)
    scale = unit * (MASKABLE_SCALE if full_bleed else 1.0)
    centre = VIEWBOX / 2

    def at(point: Point) -> Point:
        return (big / 2 + (point[0] - centre) * scale, big / 2 + (point[1] - centre) * scale)

    outline = [at(p) for curve in FACE for p in _bezier(curve)]
    _stroke(draw, outline, STROKE * scale, WHITE)
    x, y = at(OPEN_EYE)
    r = OPEN_EYE_RADIUS * scale
    draw.ellipse((x - r, y - r, x + r, y + r), fill=WHITE)
    _stroke(draw, [at(p) for p in WINK], STROKE * scale, WHITE)
    _stroke(draw, [at(p) for p in _bezier(SMILE)], STROKE * scale, YELLOW)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def write_icons(folder: Path = ICONS) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (size, full_bleed) in SIZES.items():
        path = folder / name
        icon = draw_icon(size, full_bleed=full_bleed)
        # A full square has nothing to see through: RGB, which iOS wants for its icon.
        (icon.convert("RGB") if full_bleed else icon).save(path, "PNG", optimize=True)
        written.append(path)
    return written


def main() -> None:
    for path in write_icons():
        sys.stdout.write(f"{path}\n")


if __name__ == "__main__":
    main()

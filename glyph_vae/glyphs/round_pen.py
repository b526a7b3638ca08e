"""A glyph as the strokes of a round pen (`StrokeGlyph`), and how the pen inks them.

The strokes are a character's centre lines in capital heights, in its box (x right, y down
from the box's top-left corner); smooth ones are Catmull-Rom control points. `stamp` inks
polylines with a round pen, supersampled; `StrokeGlyph.sprite` keeps the inked glyphs it has
drawn. Letters and digits are fitted to the decoder (`glyph_vae.pipelines.stroke_glyphs`), punctuation is
drawn by rule (`glyph_vae.pipelines.punctuation`); this module sits below both and the page layout, so
that each of them can make and ink StrokeGlyphs (`glyph_vae.pipelines.stroke_glyphs` re-exports it all).
"""
from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

SUPERSAMPLE = 3
CURVE_SAMPLES = 8  # polyline points per span of a smooth stroke, for rasterising
DOT_INK = 0.05  # capital heights: the least radius of a dot as inked (a fine pen still leaves a visible dot)


@dataclass
class StrokeGlyph:
    char: str
    strokes: list[np.ndarray]  # (n, 2) points per pen-down, capital heights in the box; n == 1: a dot
    pen: float  # the pen's width, capital heights
    width: float  # the box, capital heights (ink included)
    height: float
    top: float  # the box's top edge above the baseline, capital heights
    left: float = 0.0  # the box's left edge from the character's origin (punctuation's side bearing)
    smooth: bool = True  # points are Catmull-Rom control points (letters), or a polyline (punctuation)
    construction: str = ""  # which construction the strokes follow ("a", "a.1" ...)

    def polylines(self, samples: int = CURVE_SAMPLES) -> list[np.ndarray]:
        """Each stroke as a dense polyline (capital heights); a dot stays one point."""
        return [catmull_rom(s, samples) if self.smooth and len(s) > 2 else s for s in self.strokes]

    def sprite(self, cap: float) -> np.ndarray:
        """The glyph inked at `cap` pixels per capital height -> alpha (h, w) in [0, 1], read-only:
        the same strokes at the same size are inked once (SPRITE_CACHE kept)."""
        h, w = max(2, round(self.height * cap)), max(2, round(self.width * cap))
        key = (b"".join(np.ascontiguousarray(s, np.float64).tobytes() + b"|" for s in self.strokes),
               self.pen, self.smooth, float(cap), h, w)
        with _SPRITES_LOCK:
            found = _SPRITES.get(key)
            if found is not None:
                _SPRITES.move_to_end(key)
                return found
        drawn = stamp(self.polylines(), self.pen, cap, (h, w))
        drawn.setflags(write=False)
        with _SPRITES_LOCK:
            _SPRITES[key] = drawn
            while len(_SPRITES) > SPRITE_CACHE:
                _SPRITES.popitem(last=False)
        return drawn


SPRITE_CACHE = 1024  # inked glyphs kept: a page's letters, punctuation and a few styles'
_SPRITES: OrderedDict = OrderedDict()
_SPRITES_LOCK = threading.Lock()


def catmull_rom(points: np.ndarray, samples: int = CURVE_SAMPLES) -> np.ndarray:
    """The curve through control points (n, 2), `samples` points a span, both ends included."""
    points = np.asarray(points, np.float64)
    return _catmull_rom_basis(len(points), samples) @ points


@functools.lru_cache(maxsize=64)
def _catmull_rom_basis(n: int, samples: int) -> np.ndarray:
    """The Catmull-Rom curve through n control points (ends extended by reflection) as one
    matrix ((n - 1) * samples + 1, n): a curve is then one product, not a loop of small arrays."""
    eye = np.eye(n)
    p = np.vstack([2 * eye[:1] - eye[1:2], eye, 2 * eye[-1:] - eye[-2:-1]])
    t = np.linspace(0, 1, samples, endpoint=False)[None, :, None]
    a, b = -0.5 * t ** 3 + t ** 2 - 0.5 * t, 1.5 * t ** 3 - 2.5 * t ** 2 + 1
    c, d = -1.5 * t ** 3 + 2 * t ** 2 + 0.5 * t, 0.5 * t ** 3 - 0.5 * t ** 2
    spans = a * p[:-3, None] + b * p[1:-2, None] + c * p[2:-1, None] + d * p[3:, None]  # (n - 1, samples, n)
    basis = np.vstack([spans.reshape(-1, n), eye[-1:]])
    basis.setflags(write=False)
    return basis


def bezier_spans(points: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """A Catmull-Rom curve through `points` as cubic Beziers: (control 1, control 2, end) per span."""
    p = np.vstack([2 * points[:1] - points[1:2], points, 2 * points[-1:] - points[-2:-1]])
    return [(p[i + 1] + (p[i + 2] - p[i]) / 6, p[i + 2] - (p[i + 3] - p[i + 1]) / 6, p[i + 2])
            for i in range(len(points) - 1)]


def stamp(lines: list[np.ndarray], pen: float, cap: float, shape: tuple[int, int],
          offset: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Polylines (capital heights) drawn with a round pen onto an alpha map of `shape` at `cap`
    px per capital height, shifted by `offset` px; anti-aliased by supersampling."""
    from PIL import Image, ImageDraw

    h, w = shape
    s = SUPERSAMPLE
    image = Image.new("L", (w * s, h * s), 0)
    draw = ImageDraw.Draw(image)
    r_pen = pen * cap * s / 2
    for line in lines:
        xy = np.asarray(line, np.float64) * cap * s + np.asarray(offset) * s
        pts = [tuple(p) for p in xy]
        r = r_pen if len(pts) > 1 else max(r_pen, DOT_INK * cap * s)
        if len(pts) > 1:
            draw.line(pts, fill=255, width=max(1, round(2 * r)))
        # The round pen at every point: round caps and joins, and no notches where the short
        # segments meet (PIL's own round joins cost ten times as much).
        for x, y in xy:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    small = image.resize((w, h), Image.BOX)
    return np.asarray(small, np.float32) / 255.0

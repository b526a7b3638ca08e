"""Drawings written on a ruled pad's lines the way a person writes (`glyph_vae.pipelines.ruled`
reads them): the skeletons of `glyph_vae.glyphs.strokes` placed on the guides with a person's
sloppiness, for fitting the ruled reader, its benchmark and the tests.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..glyphs.strokes import SKELETONS, render_strokes
from ..models.model import CHARSET
from ..pipelines.ruled import GUIDES, X_HEIGHT

# The ruled test set's seed; nothing that trains or calibrates draws with it.
TEST_SEED = 2027

# -- drawings on the lines, as a person makes them ------------------------------------------
# Where each character's skeleton box (strokes.SKELETONS, y from 0 at its top to 1 at its
# bottom) sits on the lines, as (top, bottom) in canvas fractions.
_CAPS = (GUIDES["cap"], GUIDES["base"])
_SMALL = (GUIDES["x"], GUIDES["base"])
_TALL = (GUIDES["cap"], GUIDES["base"])
_DESCENDING = (GUIDES["x"], GUIDES["descender"])


def _box_with_stem_at_x(stem_top: float, bottom: float) -> tuple[float, float]:
    """The box of i or j: its stem (starting at `stem_top` of the box) rises to the x-height line."""
    height = (bottom - GUIDES["x"]) / (1 - stem_top)
    return bottom - height, bottom


PLACES: dict[str, tuple[float, float]] = {
    **{c: _CAPS for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
    **{c: _SMALL for c in "acemnorsuvwxz"},
    **{c: _TALL for c in "bdfhkl"},
    "t": (GUIDES["x"] - 0.65 * X_HEIGHT, GUIDES["base"]),
    "i": _box_with_stem_at_x(0.32, GUIDES["base"]),
    "j": _box_with_stem_at_x(0.32, GUIDES["descender"]),
    **{c: _DESCENDING for c in "gpqy"},
}
WIDE = set("mwMW")


def ruled_strokes(char: str, rng: np.random.Generator, canvas: int, *, size: float | None = None,
                  miss: float | None = None, aspect: float | None = None, slant: float | None = None,
                  sloppiness: float = 1.0) -> list[np.ndarray]:
    """The skeleton of `char` written on the lines of a `canvas` px pad, with a person's
    sloppiness: size 0.85-1.2x the guides (about the baseline), the baseline missed by up to
    4% of the canvas (`miss`, + is lower), width against height (`aspect`), slant, a small
    rotation, a hand's wobble; any of the first four may be fixed. `sloppiness` > 1 widens the
    random size and miss that far beyond a person's usual (2: 0.7-1.4x, up to 8%). Pixel coordinates."""
    top, bottom = PLACES[char]
    size = 1 + sloppiness * (rng.uniform(0.85, 1.2) - 1) if size is None else size
    miss = sloppiness * rng.uniform(-0.04, 0.04) if miss is None else miss
    base = GUIDES["base"]
    top, bottom = base - size * (base - top) + miss, base - size * (base - bottom) + miss
    body = size * (2 * X_HEIGHT if char.isupper() or char.isdigit() else 1.1 * X_HEIGHT)
    width = body * (rng.uniform(0.55, 0.95) if aspect is None else aspect) * (1.35 if char in WIDE else 1.0)
    slant = rng.uniform(-0.1, 0.35) if slant is None else slant
    angle = math.radians(rng.uniform(-4, 4))
    h = (bottom - top) * canvas
    w = width * canvas
    cx = rng.uniform(0.3, 0.7) * canvas
    cy = (top + bottom) / 2 * canvas
    placed = []
    for stroke in SKELETONS[char]:
        points = np.asarray(stroke, dtype=np.float64)
        # dense points so that the wobble bends the stroke rather than moving its corners
        t = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
        n = max(2, int(t[-1] / 0.02) + 1)
        s = np.linspace(0, t[-1], n) if t[-1] > 0 else np.zeros(n)
        pts = np.stack([np.interp(s, t, points[:, 0]), np.interp(s, t, points[:, 1])], axis=1)
        wobble = np.cumsum(rng.normal(0, 0.004, size=pts.shape), axis=0)
        wobble -= np.linspace(0, 1, len(pts))[:, None] * wobble[-1]
        pts = pts + wobble
        x = (pts[:, 0] - 0.5) * w - slant * (pts[:, 1] - 0.5) * h
        y = (pts[:, 1] - 0.5) * h
        placed.append(np.stack([x * math.cos(angle) - y * math.sin(angle) + cx,
                                x * math.sin(angle) + y * math.cos(angle) + cy], axis=1))
    return placed


def ruled_drawing(char: str, seed: int, *, canvas: int | None = None, brush: float | None = None,
                  sloppiness: float = 1.0):
    """One drawing of `char` on a ruled pad (black ink on white, no guides, as the pad's PNG
    holds only the ink), reproducible from the seed."""
    rng = np.random.default_rng(seed)
    canvas = canvas or int(rng.integers(200, 401))
    brush = brush or float(rng.uniform(0.035, 0.09)) * canvas
    return render_strokes(ruled_strokes(char, rng, canvas, sloppiness=sloppiness), canvas, brush)


def ruled_style_example(style: str, char: str, seed: int, canvas: int = 400):
    """A drawing of `char` on the lines in one of the app's example styles (drawings.STYLE_EXAMPLES:
    its width, slant and pen against the letter's height kept, written to the guides' size)."""
    from .drawings import STYLE_EXAMPLES

    brush, shape = STYLE_EXAMPLES[style]
    rng = np.random.default_rng(seed)
    cap = PLACES[char][1] - PLACES[char][0]
    strokes = ruled_strokes(char, rng, canvas, size=1.0, miss=0.0, aspect=shape["aspect"], slant=shape["slant"])
    return render_strokes(strokes, canvas, brush * cap / shape["height"])


def ruled_set(chars: str = CHARSET, per_char: int = 20, seed: int = TEST_SEED,
              sloppiness: float = 1.0) -> list[tuple[str, Any]]:
    """Ruled drawings, `per_char` of each character; with the default seed, the ruled test set."""
    return [(c, ruled_drawing(c, seed * 100_003 + i * 131 + ord(c), sloppiness=sloppiness))
            for c in chars for i in range(per_char)]

"""Mouse-style drawings of 0-9, A-Z and a-z, as a user makes them on the app's canvas.

A user draws on a white canvas with a round brush of fixed width, anywhere and at any size,
often slanted: `render_drawing` makes such a picture from a character's skeleton
(`glyph_vae.glyphs.strokes.SKELETONS`). The benchmark's mouse-drawn test set, the bundled
example styles' drawings and the browser tests (which replay the same strokes with a real
mouse) all come from here.
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image

from ..glyphs.strokes import SKELETONS, Stroke, render_strokes


def _densify(stroke: Stroke, step: float = 0.02) -> np.ndarray:
    points = np.asarray(stroke, dtype=np.float64)
    out = [points[0]]
    for a, b in zip(points[:-1], points[1:]):
        n = max(1, int(np.linalg.norm(b - a) / step))
        out.extend(a + (b - a) * t for t in np.linspace(0, 1, n + 1)[1:])
    return np.asarray(out)


def place_strokes(char: str, rng: np.random.Generator, canvas: int, *, height: float | None = None,
                  slant: float | None = None, aspect: float | None = None) -> list[np.ndarray]:
    """The skeleton of `char` laid out on a canvas as a user might draw it: random
    size, position, width, slant, rotation and a hand's wobble. Pixel coordinates."""
    h = (height if height is not None else rng.uniform(0.3, 0.8)) * canvas
    aspect = rng.uniform(0.55, 0.95) if aspect is None else aspect
    w = h * aspect
    slant = rng.uniform(-0.1, 0.35) if slant is None else slant
    angle = math.radians(rng.uniform(-6, 6))
    # a tall, wide, slanted drawing may not fit with a margin on both sides: then at the left margin
    left = rng.uniform(0.06 * canvas, max(0.06 * canvas, canvas - w - 0.06 * canvas - abs(slant) * h * 0.5))
    top = rng.uniform(0.06 * canvas, canvas - h - 0.06 * canvas)
    placed = []
    for stroke in SKELETONS[char]:
        pts = _densify(stroke)
        # wobble: low-frequency noise along the stroke, ~1.5% of the height
        wobble = np.cumsum(rng.normal(0, 0.004, size=pts.shape), axis=0)
        wobble -= np.linspace(0, 1, len(pts))[:, None] * wobble[-1]
        pts = pts + wobble
        x = (pts[:, 0] - 0.5) * w - slant * (pts[:, 1] - 0.5) * h
        y = (pts[:, 1] - 0.5) * h
        xr = x * math.cos(angle) - y * math.sin(angle)
        yr = x * math.sin(angle) + y * math.cos(angle)
        cx, cy = left + w / 2 + abs(slant) * h * 0.25, top + h / 2
        placed.append(np.stack([xr + cx, yr + cy], axis=1))
    return placed


def render_drawing(char: str, seed: int, *, canvas: int | None = None, brush: float | None = None,
                   **shape: float) -> Image.Image:
    """One mouse-style drawing of `char` (0-9, A-Z, a-z), reproducible from the seed;
    `shape` may fix place_strokes' height, slant or aspect (width / height)."""
    rng = np.random.default_rng(seed)
    canvas = canvas or int(rng.integers(280, 513))
    brush = brush or float(rng.uniform(10, 28))
    return render_strokes(place_strokes(char, rng, canvas, **shape), canvas, brush)


# The five styles of the app's one-click examples, as a user would draw them on a
# 400 px canvas: (brush width in px, place_strokes shape).
STYLE_EXAMPLES = {
    "narrow": (14, {"aspect": 0.38, "slant": 0.0, "height": 0.75}),
    "wide": (14, {"aspect": 1.25, "slant": 0.0, "height": 0.55}),
    "light": (5, {"aspect": 0.75, "slant": 0.0, "height": 0.7}),
    "bold": (38, {"aspect": 0.75, "slant": 0.0, "height": 0.6}),
    "italic": (14, {"aspect": 0.7, "slant": 0.45, "height": 0.7}),
}


def style_example(style: str, char: str, seed: int, canvas: int = 400) -> Image.Image:
    brush, shape = STYLE_EXAMPLES[style]
    return render_drawing(char, seed, canvas=canvas, brush=brush, **shape)


ALL_CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# The mouse-drawn test set's seed. Nothing that trains or tunes a model draws with it: a
# step that wants mouse-style drawings takes another (`drawing_set(seed=...)`).
TEST_SEED = 2026


def drawing_set(chars: str = ALL_CHARACTERS, per_char: int = 20,
                seed: int = TEST_SEED) -> list[tuple[str, Image.Image]]:
    """Mouse-style drawings, `per_char` of each character; with the default seed, the
    mouse-drawn test set (1,240 drawings)."""
    return [(c, render_drawing(c, seed * 1000 + i * 97 + ord(c))) for c in chars for i in range(per_char)]

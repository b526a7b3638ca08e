"""Pen-stroke skeletons of 0-9, A-Z and a-z, and a renderer that draws them like a mouse user.

A user draws on a white canvas with a round brush of fixed width, anywhere and
at any size, often slanted. `render_drawing` makes such a picture from a
skeleton; the benchmark's mouse-drawn test set, the bundled examples and the
browser tests (which replay the same strokes with a real mouse) all come from here.

Coordinates are in a unit box, x to the right and y downwards. A lower-case skeleton fills
its box from the top of its ascender (or its x-height) to the end of its descender (or the
baseline): a drawing is cropped to its ink before it is read, so only the shape counts. The
dots of i and j are strokes of their own, as a pen makes them.
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

Stroke = list[tuple[float, float]]


def arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 0) -> Stroke:
    """Points on an ellipse from angle `start` to `end` in degrees: 0 is +x, 90 is +y (down in
    these skeletons' box, up in punctuation's, whose y grows from the baseline)."""
    n = n or max(6, int(abs(end - start) / 12))
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in np.linspace(start, end, n)]


SKELETONS: dict[str, list[Stroke]] = {
    "0": [arc(0.5, 0.5, 0.32, 0.5, -90, 270)],
    "1": [[(0.3, 0.2), (0.55, 0.0), (0.55, 1.0)]],
    "2": [arc(0.5, 0.28, 0.32, 0.28, 200, 360) + [(0.15, 1.0), (0.88, 1.0)]],
    "3": [arc(0.5, 0.25, 0.3, 0.25, 200, 450) + arc(0.5, 0.75, 0.33, 0.25, -90, 160)],
    "4": [[(0.68, 1.0), (0.68, 0.0), (0.12, 0.68), (0.9, 0.68)]],
    "5": [[(0.82, 0.0), (0.3, 0.0), (0.25, 0.45)] + arc(0.5, 0.7, 0.32, 0.3, -125, 150)],
    "6": [[(0.75, 0.02), (0.5, 0.12), (0.3, 0.35), (0.2, 0.68)] + arc(0.5, 0.72, 0.3, 0.28, 180, 530)],
    "7": [[(0.12, 0.0), (0.88, 0.0), (0.4, 1.0)]],
    "8": [arc(0.5, 0.25, 0.25, 0.25, 90, 450) + arc(0.5, 0.75, 0.3, 0.25, -90, 270)],
    "9": [arc(0.5, 0.3, 0.3, 0.3, 0, 360) + [(0.8, 0.3), (0.76, 1.0)]],
    "A": [[(0.08, 1.0), (0.5, 0.0), (0.92, 1.0)], [(0.26, 0.6), (0.74, 0.6)]],
    "B": [[(0.2, 1.0), (0.2, 0.0)],
          [(0.2, 0.0), (0.5, 0.0)] + arc(0.5, 0.25, 0.27, 0.25, -90, 90) + [(0.2, 0.5)],
          [(0.2, 0.5), (0.55, 0.5)] + arc(0.55, 0.75, 0.3, 0.25, -90, 90) + [(0.2, 1.0)]],
    "C": [arc(0.55, 0.5, 0.42, 0.5, -40, -320)],
    "D": [[(0.2, 0.0), (0.2, 1.0)], [(0.2, 0.0), (0.42, 0.0)] + arc(0.42, 0.5, 0.42, 0.5, -90, 90) + [(0.2, 1.0)]],
    "E": [[(0.8, 0.0), (0.2, 0.0), (0.2, 1.0), (0.8, 1.0)], [(0.2, 0.5), (0.65, 0.5)]],
    "F": [[(0.82, 0.0), (0.2, 0.0), (0.2, 1.0)], [(0.2, 0.48), (0.68, 0.48)]],
    "G": [arc(0.55, 0.5, 0.42, 0.5, -40, -360) + [(0.6, 0.5)]],
    "H": [[(0.18, 0.0), (0.18, 1.0)], [(0.82, 0.0), (0.82, 1.0)], [(0.18, 0.5), (0.82, 0.5)]],
    "I": [[(0.5, 0.0), (0.5, 1.0)], [(0.25, 0.0), (0.75, 0.0)], [(0.25, 1.0), (0.75, 1.0)]],
    "J": [[(0.3, 0.0), (0.85, 0.0)], [(0.68, 0.0), (0.68, 0.7)] + arc(0.42, 0.7, 0.26, 0.3, 0, 165)],
    "K": [[(0.2, 0.0), (0.2, 1.0)], [(0.82, 0.0), (0.2, 0.58)], [(0.4, 0.42), (0.86, 1.0)]],
    "L": [[(0.22, 0.0), (0.22, 1.0), (0.82, 1.0)]],
    "M": [[(0.08, 1.0), (0.14, 0.0), (0.5, 0.68), (0.86, 0.0), (0.92, 1.0)]],
    "N": [[(0.18, 1.0), (0.18, 0.0), (0.82, 1.0), (0.82, 0.0)]],
    "O": [arc(0.5, 0.5, 0.42, 0.5, -90, 270)],
    "P": [[(0.2, 1.0), (0.2, 0.0), (0.5, 0.0)] + arc(0.5, 0.27, 0.3, 0.27, -90, 90) + [(0.2, 0.54)]],
    "Q": [arc(0.5, 0.5, 0.42, 0.5, -90, 270), [(0.58, 0.72), (0.92, 1.05)]],
    "R": [[(0.2, 1.0), (0.2, 0.0), (0.5, 0.0)] + arc(0.5, 0.27, 0.3, 0.27, -90, 90) + [(0.2, 0.54)],
          [(0.45, 0.54), (0.86, 1.0)]],
    "S": [arc(0.5, 0.25, 0.32, 0.25, -20, -270) + arc(0.5, 0.75, 0.33, 0.25, -90, 160)],
    "T": [[(0.08, 0.0), (0.92, 0.0)], [(0.5, 0.0), (0.5, 1.0)]],
    "U": [[(0.18, 0.0), (0.18, 0.65)] + arc(0.5, 0.65, 0.32, 0.35, 180, 0) + [(0.82, 0.0)]],
    "V": [[(0.08, 0.0), (0.5, 1.0), (0.92, 0.0)]],
    "W": [[(0.04, 0.0), (0.27, 1.0), (0.5, 0.35), (0.73, 1.0), (0.96, 0.0)]],
    "X": [[(0.12, 0.0), (0.88, 1.0)], [(0.88, 0.0), (0.12, 1.0)]],
    "Y": [[(0.12, 0.0), (0.5, 0.5), (0.88, 0.0)], [(0.5, 0.5), (0.5, 1.0)]],
    "Z": [[(0.12, 0.0), (0.88, 0.0), (0.12, 1.0), (0.88, 1.0)]],
    "a": [arc(0.45, 0.55, 0.36, 0.45, -40, -400), [(0.82, 0.08), (0.84, 1.0)]],
    "b": [[(0.2, 0.0), (0.2, 1.0)], arc(0.5, 0.72, 0.3, 0.28, 180, 540)],
    "c": [arc(0.55, 0.5, 0.42, 0.5, -40, -320)],
    "d": [arc(0.48, 0.72, 0.3, 0.28, 0, 360), [(0.78, 0.0), (0.78, 1.0)]],
    "e": [[(0.12, 0.52), (0.88, 0.52)] + arc(0.5, 0.52, 0.38, 0.46, 0, -310)],
    "f": [arc(0.62, 0.2, 0.25, 0.2, -10, -180) + [(0.37, 1.0)], [(0.1, 0.42), (0.72, 0.42)]],
    "g": [arc(0.46, 0.3, 0.32, 0.3, -40, -400), [(0.78, 0.04), (0.78, 0.8)] + arc(0.5, 0.8, 0.28, 0.2, 0, 160)],
    "h": [[(0.2, 0.0), (0.2, 1.0)], arc(0.5, 0.62, 0.3, 0.24, 180, 360) + [(0.8, 1.0)]],
    "i": [[(0.5, 0.32), (0.5, 1.0)], [(0.5, 0.04), (0.51, 0.07)]],
    "j": [[(0.62, 0.32), (0.62, 0.8)] + arc(0.4, 0.8, 0.22, 0.2, 0, 160), [(0.62, 0.04), (0.63, 0.07)]],
    "k": [[(0.2, 0.0), (0.2, 1.0)], [(0.78, 0.42), (0.2, 0.76)], [(0.4, 0.65), (0.82, 1.0)]],
    "l": [[(0.5, 0.0), (0.5, 1.0)]],
    "m": [[(0.08, 1.0), (0.08, 0.1)] + arc(0.29, 0.32, 0.21, 0.24, 180, 360) + [(0.5, 1.0), (0.5, 0.32)]
          + arc(0.71, 0.32, 0.21, 0.24, 180, 360) + [(0.92, 1.0)]],
    "n": [[(0.15, 1.0), (0.15, 0.08)] + arc(0.5, 0.36, 0.35, 0.28, 180, 360) + [(0.85, 1.0)]],
    "o": [arc(0.5, 0.5, 0.42, 0.5, -90, 270)],
    "p": [[(0.2, 0.0), (0.2, 1.0)], arc(0.5, 0.28, 0.3, 0.28, 180, 540)],
    "q": [arc(0.46, 0.28, 0.3, 0.28, 0, 360), [(0.78, 0.0), (0.78, 1.0), (0.92, 0.9)]],
    "r": [[(0.2, 1.0), (0.2, 0.05)], arc(0.58, 0.4, 0.38, 0.33, 180, 300)],
    "s": [arc(0.5, 0.25, 0.32, 0.25, -20, -270) + arc(0.5, 0.75, 0.33, 0.25, -90, 160)],
    "t": [[(0.45, 0.0), (0.45, 0.82)] + arc(0.63, 0.82, 0.18, 0.16, 180, 60), [(0.12, 0.3), (0.8, 0.3)]],
    "u": [[(0.15, 0.0), (0.15, 0.65)] + arc(0.5, 0.65, 0.35, 0.35, 180, 0), [(0.85, 0.0), (0.85, 1.0)]],
    "v": [[(0.08, 0.0), (0.5, 1.0), (0.92, 0.0)]],
    "w": [[(0.04, 0.0), (0.27, 1.0), (0.5, 0.35), (0.73, 1.0), (0.96, 0.0)]],
    "x": [[(0.12, 0.0), (0.88, 1.0)], [(0.88, 0.0), (0.12, 1.0)]],
    "y": [[(0.12, 0.0), (0.52, 0.55)], [(0.88, 0.0), (0.35, 1.0)]],
    "z": [[(0.12, 0.0), (0.88, 0.0), (0.12, 1.0), (0.88, 1.0)]],
}


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
    left = rng.uniform(0.06 * canvas, canvas - w - 0.06 * canvas - abs(slant) * h * 0.5)
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


def render_strokes(strokes: list[np.ndarray], canvas: int, brush: float) -> Image.Image:
    """Black round-brush strokes on a white canvas, anti-aliased like a browser's."""
    scale = 2  # draw at 2x and shrink: PIL lines are not anti-aliased
    image = Image.new("L", (canvas * scale, canvas * scale), 255)
    draw = ImageDraw.Draw(image)
    r = brush * scale / 2
    for stroke in strokes:
        pts = [(float(x) * scale, float(y) * scale) for x, y in stroke]
        draw.line(pts, fill=0, width=int(round(brush * scale)), joint="curve")
        for x, y in (pts[0], pts[-1]):
            draw.ellipse((x - r, y - r, x + r, y + r), fill=0)
    return image.resize((canvas, canvas), Image.LANCZOS).convert("RGB")


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

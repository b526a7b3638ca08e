"""Punctuation and symbols drawn by rule, in a writer's style: GlyphVAE draws only 0-9, A-Z
and a-z, but a font needs the rest of printable ASCII.

Each character is a few pen strokes (a skeleton) in capital heights, x to the right and y
up from the baseline; `draw` renders them with a round pen of the style's stroke weight,
sheared by its slant, so a heavy italic hand gets heavy italic commas. The result is an ink
map that is traced like any generated glyph.
"""
from __future__ import annotations

import math
import threading
import weakref

import numpy as np

from ..glyphs.proportions import TYPICAL
from ..glyphs.round_pen import StrokeGlyph
from ..glyphs.strokes import Stroke, arc, render_strokes

X = TYPICAL.x_height  # a typical hand's x-height, in capital heights, as the layout's
MIDDLE = 0.36  # where - + = ~ sit: the middle of the x-height


def _dot(x: float, y: float) -> Stroke:
    return [(x, y)]


def skeletons(r: float) -> dict[str, list[Stroke]]:
    """Every printable ASCII character that is not a letter, a digit or the space, as strokes.
    `r` is the pen's radius in capital heights: dots sit on the baseline with it."""
    return {
        ".": [_dot(0.0, r)],
        ",": [[(0.02, r + 0.02), (0.0, -0.06), (-0.05, -0.16)]],
        ":": [_dot(0.0, r), _dot(0.0, X - r)],
        ";": [_dot(0.02, X - r), [(0.02, r + 0.02), (0.0, -0.06), (-0.05, -0.16)]],
        "!": [[(0.0, 1.0), (0.0, 0.3)], _dot(0.0, r)],
        "?": [arc(0.2, 0.78, 0.2, 0.2, 160, -60) + [(0.22, 0.45), (0.2, 0.3)], _dot(0.2, r)],
        "'": [[(0.0, 1.0), (0.0, 0.76)]],
        '"': [[(0.0, 1.0), (0.0, 0.76)], [(0.14, 1.0), (0.14, 0.76)]],
        "`": [[(0.0, 1.02), (0.1, 0.88)]],
        "-": [[(0.0, MIDDLE), (0.3, MIDDLE)]],
        "_": [[(0.0, -0.16), (0.55, -0.16)]],
        "(": [arc(0.28, 0.4, 0.28, 0.66, 110, 250)],
        ")": [arc(0.0, 0.4, 0.28, 0.66, 70, -70)],
        "[": [[(0.2, 1.05), (0.0, 1.05), (0.0, -0.25), (0.2, -0.25)]],
        "]": [[(0.0, 1.05), (0.2, 1.05), (0.2, -0.25), (0.0, -0.25)]],
        "{": [[(0.24, 1.05), (0.12, 0.98), (0.12, 0.52), (0.0, 0.4), (0.12, 0.28), (0.12, -0.18), (0.24, -0.25)]],
        "}": [[(0.0, 1.05), (0.12, 0.98), (0.12, 0.52), (0.24, 0.4), (0.12, 0.28), (0.12, -0.18), (0.0, -0.25)]],
        "/": [[(0.0, -0.12), (0.45, 1.05)]],
        "\\": [[(0.0, 1.05), (0.45, -0.12)]],
        "|": [[(0.0, 1.05), (0.0, -0.25)]],
        "+": [[(0.0, MIDDLE), (0.46, MIDDLE)], [(0.23, MIDDLE - 0.23), (0.23, MIDDLE + 0.23)]],
        "=": [[(0.0, MIDDLE - 0.1), (0.44, MIDDLE - 0.1)], [(0.0, MIDDLE + 0.1), (0.44, MIDDLE + 0.1)]],
        "<": [[(0.4, MIDDLE + 0.22), (0.0, MIDDLE), (0.4, MIDDLE - 0.22)]],
        ">": [[(0.0, MIDDLE + 0.22), (0.4, MIDDLE), (0.0, MIDDLE - 0.22)]],
        "^": [[(0.0, 0.72), (0.2, 1.0), (0.4, 0.72)]],
        "~": [arc(0.11, MIDDLE, 0.11, 0.08, 180, 0) + arc(0.33, MIDDLE, 0.11, 0.08, 180, 360)],
        "*": [[(0.2, 1.0), (0.2, 0.56)], [(0.01, 0.89), (0.39, 0.67)], [(0.01, 0.67), (0.39, 0.89)]],
        "#": [[(0.15, 0.0), (0.23, 0.95)], [(0.38, 0.0), (0.46, 0.95)], [(0.02, 0.3), (0.6, 0.3)],
              [(0.04, 0.65), (0.62, 0.65)]],
        "%": [arc(0.12, 0.82, 0.12, 0.17, 0, 360), [(0.0, 0.0), (0.62, 1.0)], arc(0.5, 0.18, 0.12, 0.17, 0, 360)],
        "&": [[(0.62, 0.0), (0.18, 0.55), (0.12, 0.78), (0.24, 0.98), (0.4, 0.9), (0.4, 0.72), (0.08, 0.42),
               (0.04, 0.16), (0.2, 0.0), (0.42, 0.06), (0.62, 0.36)]],
        "$": [arc(0.26, 0.72, 0.22, 0.22, 20, 270) + arc(0.26, 0.27, 0.24, 0.25, 90, -160),
              [(0.26, 1.08), (0.26, -0.1)]],
        "@": [arc(0.5, 0.42, 0.18, 0.22, 0, 360), [(0.68, 0.64), (0.68, 0.28)]
              + arc(0.8, 0.28, 0.12, 0.12, 180, 360) + arc(0.5, 0.42, 0.42, 0.52, 0, 330)],
    }


PUNCTUATION = "".join(skeletons(0.05))  # the characters drawn by rule, in a fixed order


PAD = 0.07  # capital heights of paper around a drawn character: its anti-aliased edge at any size


def pen_measures(glyphs: np.ndarray, chars: str) -> tuple[float, float]:
    """(stroke weight in capital heights, slant dx/dy) of a style's own inked glyphs, for
    the characters drawn by rule: medians over the capitals and digits, whose ink height is
    one capital height."""
    from ..glyphs.measures import height, slant, stroke_thickness

    tall = [i for i, c in enumerate(chars) if c.isupper() or c.isdigit()]
    g = glyphs[tall]
    weight = float(np.median(stroke_thickness(g) / np.maximum(height(g), 1.0)))
    return float(np.clip(weight, 0.03, 0.3)), float(np.clip(np.median(slant(g)), -0.6, 0.8))


PEN_CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


_PENS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PENS_KEPT = 64  # styles per model
_PENS_LOCK = threading.Lock()


def style_pen(model, style) -> tuple[float, float]:
    """The pen of a style (its capitals and digits drawn at its mean): (weight, slant) for `draw`.
    It depends only on the style's mean, and a page, its font and its downloads ask for the same
    one: measured once per mean (the last _PENS_KEPT kept; never for a model in training)."""
    from .style import draw_glyphs

    key = np.asarray(style.mean, np.float32).tobytes()
    with _PENS_LOCK:
        known = None if model.training else _PENS.get(model, {}).get(key)
    if known is not None:
        return known
    measured = pen_measures(draw_glyphs(model, PEN_CHARACTERS, style), PEN_CHARACTERS)
    if not model.training:
        with _PENS_LOCK:
            kept = _PENS.setdefault(model, {})
            if len(kept) >= _PENS_KEPT:
                kept.pop(next(iter(kept)))
            kept[key] = measured
    return measured


def placed_strokes(char: str, *, weight: float, slant: float) -> tuple[list[np.ndarray], float, float, float, float]:
    """`char`'s strokes sheared by `slant`, in capital heights from the top-left corner of its
    box (x right, y down) -> (strokes, top and left of the box in capital heights from the
    baseline and the origin, the box's width and height in capital heights)."""
    r = weight / 2
    strokes = [[(x + slant * y, y) for x, y in stroke] for stroke in skeletons(r)[char]]
    points = np.array([p for stroke in strokes for p in stroke])
    pad = r + PAD
    left, right = points[:, 0].min() - pad, points[:, 0].max() + pad
    bottom, top = points[:, 1].min() - pad, points[:, 1].max() + pad
    boxed = [np.array([(x - left, top - y) for x, y in stroke]) for stroke in strokes]
    return boxed, top, left, right - left, top - bottom


def stroke_glyph(char: str, *, weight: float, slant: float):
    """`char`'s strokes by rule as a StrokeGlyph, drawn with a round pen `weight` capital heights wide."""
    strokes, top, left, width, height = placed_strokes(char, weight=weight, slant=slant)
    return StrokeGlyph(char, strokes, weight, width, height, top, left, smooth=False, construction=char)


def draw(char: str, *, weight: float, slant: float, cap: int) -> tuple[np.ndarray, float, float]:
    """`char` drawn with a round pen `weight` capital heights wide, sheared by `slant`
    (dx/dy, right-leaning > 0), `cap` pixels per capital height.

    Returns (ink map (h, w) in [0, 1], the map's top and left edge in capital heights from
    the baseline and the character's origin), so the traced outline can be placed."""

    strokes, top, left, box_w, box_h = placed_strokes(char, weight=weight, slant=slant)
    width, height = max(2, math.ceil(box_w * cap)), max(2, math.ceil(box_h * cap))
    size = max(width, height)  # render_strokes draws on a square canvas
    # render_strokes draws a zero-length stroke as a round dot, as a pen does.
    image = render_strokes([s * cap for s in strokes], size, max(1.0, weight * cap))
    ink = 1.0 - np.asarray(image.convert("L"), np.float32)[:height, :width] / 255.0
    return ink, top, left

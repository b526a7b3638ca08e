"""A hand's proportions: how tall its small letters are against its capitals, how high its
ascenders reach, how deep its descenders go, and how wide it writes.

The model draws every character normalised the same way (longest side 20 of 28 pixels), so
size and height on the line come from here (`Proportions.metrics`), all in capital heights
above the baseline. A typical hand's are the defaults. A writer who drew on the ruled pads
showed their own: a drawing's ink against the guides (`glyph_vae.pipelines.ruled.Geometry`, in
x-heights of the paper above the baseline) says how far its top and bottom reach, and
`measured_proportions` turns the drawings of a style into the writer's proportions, which
the page layout and the font's metrics then use and style files keep.

The width is measured on any drawing, ruled or not (`glyph_vae.pipelines.stroke_glyphs.measured_width`):
the writer's letters against the model's own stroke glyphs of the same letters in the writer's
style. The decoder follows a narrow or a wide hand only part of the way; the stroke glyphs are
drawn that much narrower or wider, so that the page is as narrow or as wide as the hand.
"""
from __future__ import annotations

from dataclasses import astuple, dataclass, replace
from typing import Iterable

import numpy as np

# The characters whose ink measures each proportion: small letters without ascender, dot or
# descender; letters whose stem rises above the x-height; letters that hang below the line
# (j's top is its dot, its bottom a descender like the others').
X_LETTERS = "acemnorsuvwxz"
ASCENDERS = "bdfhkl"
DESCENDERS = "gjpqy"
CAPITALS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# The ruled pads' capital line, in the paper's x-heights above the baseline
# (glyph_vae.pipelines.ruled.GUIDES: cap 0.22, x 0.46, base 0.70): a style drawn without capitals is
# measured against it.
PAPER_CAP = 2.0

# What a hand may have, in capital heights: outside these a measure is more likely a misdrawn
# pad than a hand (and a page laid out by it would be unreadable), so it is clipped to them.
X_HEIGHT_RANGE = (0.4, 0.85)
ASCENDER_RANGE = (0.85, 1.3)
DESCENDER_RANGE = (-0.65, -0.15)
# The hand's width against the model's drawing of the same letters. Narrower than 0.95 the letters
# lose legibility faster than they gain likeness: the benchmark's reader read the narrow example
# (measured at 0.65) 93.5% right at 1.0, 91.9% at 0.95, 82.3% at 0.8 and 59.7% at 0.65, taking
# condensed letters for 1s.
WIDTH_RANGE = (0.95, 1.4)
WIDTH_WORTH_SAYING = 0.1  # a width this far from the model's is told in words


@dataclass(frozen=True)
class Proportions:
    """Where a hand's ink reaches, in capital heights above the baseline (negative: below)."""

    x_height: float = 0.62  # top of a, c, e, m, n, o ...
    ascender: float = 1.02  # top of b, d, f, h, k, l
    descender: float = -0.36  # bottom of g, j, p, q, y
    width: float = 1.0  # the hand's letters' width against the model's drawing of them (1: as drawn)

    def metrics(self, char: str) -> tuple[float, float]:
        """(top, bottom) of `char`'s ink in capital heights above the baseline. t and the dotted
        i and j reach part of the way from the x-height to the ascenders."""
        x, rise = self.x_height, max(self.ascender - self.x_height, 0.0)
        if char in X_LETTERS:
            return x, 0.0
        if char in ASCENDERS:
            return self.ascender, 0.0
        if char == "t":
            return x + 0.6 * rise, 0.0
        if char == "i":
            return x + 0.7 * rise, 0.0
        if char == "j":
            return x + 0.7 * rise, self.descender
        if char in DESCENDERS:
            return x, self.descender
        return 1.0, 0.0  # digits and capitals

    @property
    def highest(self) -> float:
        """The top of the tallest ink (capitals or ascenders)."""
        return max(1.0, self.ascender)

    def as_dict(self) -> dict[str, float]:
        # Unrounded: a float's repr reads back to it, so a saved style writes the same page.
        return {"x_height": self.x_height, "ascender": self.ascender, "descender": self.descender,
                "width": self.width}

    @property
    def vertical_typical(self) -> bool:
        """Whether the heights are a typical hand's (the width aside)."""
        return replace(self, width=TYPICAL.width) == TYPICAL

    @property
    def width_worth_saying(self) -> bool:
        """Whether the width differs from the model's by WIDTH_WORTH_SAYING or more."""
        return abs(self.width - 1.0) >= WIDTH_WORTH_SAYING

    def describe(self) -> str:
        """In words, as the Write tab shows them."""
        words = [] if self.vertical_typical else [
            f"small letters {self.x_height:.0%} of the capitals' height, ascenders {self.ascender:.0%}, "
            f"descenders {-self.descender:.0%} below the line"]
        if self.width_worth_saying:
            words.append(f"letters {abs(self.width - 1):.0%} {'narrower' if self.width < 1 else 'wider'} "
                         "than the model draws them")
        return "; ".join(words) or "a typical hand's"

    @property
    def worth_saying(self) -> bool:
        """Whether the proportions differ from a typical hand's enough to be told."""
        return not self.vertical_typical or self.width_worth_saying


TYPICAL = Proportions()


def checked_proportions(x_height: float, ascender: float, descender: float) -> Proportions:
    """Proportions clipped to what a hand may have (ascenders at least a little above the
    small letters)."""
    x = float(np.clip(x_height, *X_HEIGHT_RANGE))
    ascender = float(np.clip(max(ascender, x + 0.15), *ASCENDER_RANGE))
    return Proportions(x, ascender, float(np.clip(descender, *DESCENDER_RANGE)))


def measured_proportions(drawings: Iterable[tuple[str, float, float]]) -> Proportions | None:
    """Drawings on the ruled pads as (character, top, bottom) of their ink, in the paper's
    x-heights above the baseline -> the writer's proportions, or None when none of the three
    can be measured (no small letter, ascender or descender among them).

    Each proportion is the median over the characters that show it, taken against the
    writer's own capitals and digits where some were drawn, else against the pad's capital
    line. What the drawings do not show keeps the typical hand's value."""
    reach: dict[str, list[float]] = {"cap": [], "x": [], "ascender": [], "descender": []}  # tops; bottoms of descenders
    for char, top, bottom in drawings:
        if char in CAPITALS:
            reach["cap"].append(top)
        elif char in X_LETTERS:
            reach["x"].append(top)
        elif char in ASCENDERS:
            reach["ascender"].append(top)
        if char in DESCENDERS:
            reach["descender"].append(bottom)
    if not (reach["x"] or reach["ascender"] or reach["descender"]):
        return None
    cap = float(np.median(reach["cap"])) if reach["cap"] else PAPER_CAP

    def measure(kind: str, typical: float) -> float:
        return float(np.median(reach[kind])) / cap if reach[kind] else typical

    return checked_proportions(measure("x", TYPICAL.x_height), measure("ascender", TYPICAL.ascender),
                               measure("descender", TYPICAL.descender))


def blend(a: Proportions | None, b: Proportions | None, weight: float) -> Proportions | None:
    """Proportions `weight` of the way from `a` to `b` (a missing one is the typical hand's)."""
    if weight == 0 or weight == 1 or (a is None and b is None):
        return a if weight == 0 else b if weight == 1 else None
    a, b = a or TYPICAL, b or TYPICAL
    # every field, so that one added later is blended too
    return Proportions(*((1 - weight) * p + weight * q for p, q in zip(astuple(a), astuple(b))))


def with_width(proportions: Proportions | None, width: float) -> Proportions | None:
    """`proportions` (None: a typical hand's) with the hand's width, clipped to WIDTH_RANGE;
    None where both are typical."""
    width = float(np.clip(width, *WIDTH_RANGE))
    if proportions is None and width == 1.0:
        return None
    return replace(proportions or TYPICAL, width=width)

"""Lay generated glyphs out like handwriting: a shared baseline, small lower-case
letters, descenders below the line, spacing from each glyph's ink, wrapped lines.

The model draws every character normalised the same way (longest side 20 of 28
pixels), so an "o" comes out as big as an "O". Size and height on the line are
therefore set here, from the character's place in the script (its vertical
metrics), and width comes from the glyph's own ink: a narrow writer's text is
narrow, a wide writer's wide.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from .model import CHARSET
from .style import ink

# Vertical extent of each character's ink in units of the capital height,
# measured up from the baseline: (top, bottom).
X_HEIGHT = 0.62
DESCENDER = -0.36
_METRICS: dict[str, tuple[float, float]] = {c: (1.0, 0.0) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_METRICS.update({c: (X_HEIGHT, 0.0) for c in "acemnorsuvwxz"})
_METRICS.update({c: (1.02, 0.0) for c in "bdhkl"})
_METRICS.update({"f": (1.02, 0.0), "t": (0.86, 0.0), "i": (0.9, 0.0)})
_METRICS.update({c: (X_HEIGHT, DESCENDER) for c in "gpqy"})
_METRICS["j"] = (0.9, DESCENDER)

INK_THRESHOLD = 0.2  # a glyph pixel above this counts as ink when finding its extent
LETTER_GAP = 0.14  # between two letters' ink, in capital heights
WORD_GAP = 0.5  # a space
GAP_FOR_UNKNOWN = 0.6  # where a character outside the set was asked for
LINE_HEIGHT = 1.75  # baseline to baseline: capitals, descenders and some air
MARGIN = 0.5
INK = np.array([22, 27, 48], np.float32)  # dark blue-black, like a fountain pen
PAPER = np.array([255, 255, 255], np.float32)


def metrics(char: str) -> tuple[float, float]:
    """(top, bottom) of a character's ink in capital heights above the baseline."""
    return _METRICS[char]


@dataclass
class PlacedGlyph:
    char: str
    line: int
    box: tuple[int, int, int, int]  # (left, top, right, bottom) of its ink on the page, in pixels
    baseline: int  # y of its line's baseline


@dataclass
class Page:
    image: Image.Image
    glyphs: list[PlacedGlyph] = field(default_factory=list)
    unknown: str = ""  # characters left as gaps, once each, in order of appearance


def ink_extent(glyph: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) rows/columns of a 28x28 glyph's ink, end-exclusive."""
    ink = glyph > INK_THRESHOLD
    if not ink.any():
        return 0, glyph.shape[0], 0, glyph.shape[1]
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def glyph_sprite(glyph: np.ndarray, char: str, cap_height: int) -> np.ndarray:
    """The decoder's glyph (pixel probabilities) cropped and scaled to its height on
    the line -> float alpha (h, w). Upscaling the probabilities smoothly and then
    inking them (style.ink) gives crisp strokes with edges smoother than 28x28 allows.
    """
    top, bottom, left, right = ink_extent(glyph)
    crop = glyph[top:bottom, left:right]
    char_top, char_bottom = metrics(char)
    height = max(2, round((char_top - char_bottom) * cap_height))
    scale = height / crop.shape[0]
    width = max(2, round(crop.shape[1] * scale))
    big = Image.fromarray(np.float32(crop)).resize((width, height), Image.BICUBIC)
    return ink(np.asarray(big, np.float32))


def _tokens(text: str) -> list[list[str]]:
    """Lines of words; a word keeps its characters (known and unknown) in order."""
    return [[w for w in line.split(" ") if w] for line in text.replace("\t", " ").split("\n")]


def layout_text(text: str, glyphs: list[np.ndarray], *, cap_height: int = 48,
                line_width: int = 1000) -> Page:
    """Place `glyphs` (one per character of `text` that is in CHARSET, in order) on a page.

    Spaces and newlines separate words and lines; other characters outside the
    set are left as gaps. Lines wrap at word boundaries to fit `line_width`
    pixels (the page's width, margins included); a word longer than a line is
    broken between letters.
    """
    drawable = [c for c in text if c in CHARSET]
    if len(drawable) != len(glyphs):
        raise ValueError(f"layout_text: {len(drawable)} drawable characters but {len(glyphs)} glyphs")
    if cap_height < 8:
        raise ValueError(f"cap_height must be at least 8 pixels; got {cap_height}")
    margin = round(MARGIN * cap_height)
    usable = line_width - 2 * margin
    if usable < 2 * cap_height:
        raise ValueError(f"line_width {line_width} is too narrow for capitals {cap_height} px high")
    letter_gap, word_gap = round(LETTER_GAP * cap_height), round(WORD_GAP * cap_height)

    sprites = iter(glyphs)
    unknown = "".join(dict.fromkeys(c for c in text if c not in CHARSET and c not in " \n\t\r"))
    # Each word becomes a list of (char, sprite or None for a gap) before wrapping.
    lines: list[list[tuple[str, np.ndarray | None]]] = [[]]
    x = 0

    def new_line():
        nonlocal x
        lines.append([])
        x = 0

    for line_index, words in enumerate(_tokens(text.replace("\r", ""))):
        if line_index:
            new_line()
        for word in words:
            items = []
            for c in word:
                if c in CHARSET:
                    items.append((c, glyph_sprite(next(sprites), c, cap_height)))
                else:
                    items.append((c, None))
            widths = [(s.shape[1] if s is not None else round(GAP_FOR_UNKNOWN * cap_height)) for _, s in items]
            word_width = sum(widths) + letter_gap * (len(items) - 1)
            if x and x + word_gap + word_width > usable:
                new_line()
            elif x:
                lines[-1].append((" ", None))
                x += word_gap
            for (c, sprite), w in zip(items, widths):
                if x and x + w > usable:  # only a word longer than the whole line gets here
                    new_line()
                lines[-1].append((c, sprite))
                x += w + letter_gap
            x -= letter_gap

    line_pitch = round(LINE_HEIGHT * cap_height)
    ascent = round(1.05 * cap_height)
    placed: list[PlacedGlyph] = []
    ink_layer = np.zeros((margin * 2 + line_pitch * (len(lines) - 1) + ascent + round(-DESCENDER * cap_height) + 2,
                          line_width), np.float32)
    right_edge = 0
    for number, items in enumerate(lines):
        baseline = margin + ascent + number * line_pitch
        x = margin
        for c, sprite in items:
            if c == " ":
                x += word_gap - letter_gap
                continue
            if sprite is None:
                x += round(GAP_FOR_UNKNOWN * cap_height) + letter_gap
                continue
            top = baseline - round(metrics(c)[0] * cap_height)
            h, w = sprite.shape
            region = ink_layer[top:top + h, x:x + w]
            np.maximum(region, sprite[:region.shape[0], :region.shape[1]], out=region)
            placed.append(PlacedGlyph(c, number, (x, top, x + w, top + h), baseline))
            x += w + letter_gap
        right_edge = max(right_edge, x - letter_gap)
    # Trim the page to the longest line (a short note should not sit on a wide white sheet).
    width = min(line_width, max(right_edge + margin, 2 * margin + cap_height))
    alpha = ink_layer[:, :width, None]
    pixels = PAPER * (1 - alpha) + INK * alpha
    return Page(Image.fromarray(np.uint8(np.round(pixels))), placed, unknown)

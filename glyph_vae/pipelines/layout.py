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

from ..errors import SettingError
from ..models.model import CHARSET
from ..glyphs.proportions import TYPICAL, Proportions
from .style import ink

# Vertical extent of the ink in units of the capital height, above the baseline: a typical
# hand's (a style drawn on the ruled pads brings its own, glyph_vae.glyphs.proportions).
X_HEIGHT = TYPICAL.x_height
DESCENDER = TYPICAL.descender

INK_THRESHOLD = 0.2  # a glyph pixel above this counts as ink when finding its extent
LETTER_GAP = 0.14  # between two letters' ink, in capital heights
WORD_GAP = 0.5  # a space
# A word's first glyph keeps the word gap from the rows this far (capital heights) above and
# below its own ink, not only the rows it shares: a T's bar hangs over the short letters before
# it ("is This"), and measured only where both have ink the space vanished under the bar.
WORD_REACH = 0.5
GAP_FOR_UNKNOWN = 0.6  # where a character outside the set was asked for
LINE_HEIGHT = 1.75  # baseline to baseline: capitals, descenders and some air
MARGIN = 0.5
INK = np.array([22, 27, 48], np.float32)  # dark blue-black, like a fountain pen
PAPER = np.array([255, 255, 255], np.float32)


def metrics(char: str, proportions: Proportions | None = None) -> tuple[float, float]:
    """(top, bottom) of a character's ink in capital heights above the baseline, in a hand of
    these proportions (default a typical hand's)."""
    return (proportions or TYPICAL).metrics(char)


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
    # The decoder's glyph drawn at each of `glyphs`, as given (None: punctuation drawn by rule).
    sources: list[np.ndarray | None] = field(default_factory=list)
    pen: tuple[float, float] | None = None  # (weight, slant) punctuation was drawn with
    seed: int | None = None  # the seed its glyphs were drawn with (set by writing.write; what a saved page is named by)


def ink_extent(glyph: np.ndarray, threshold: float = INK_THRESHOLD) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) rows/columns of a 28x28 glyph's ink, end-exclusive."""
    ink = glyph > threshold
    if not ink.any():
        return 0, glyph.shape[0], 0, glyph.shape[1]
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def scaled_probabilities(glyph: np.ndarray, char: str, cap_height: int,
                         threshold: float = INK_THRESHOLD, proportions: Proportions | None = None) -> np.ndarray:
    """The decoder's glyph (pixel probabilities) cropped to its ink (what is above `threshold`)
    and scaled to its height on the line -> float (h, w), smoothly (bicubic), not yet inked."""
    top, bottom, left, right = ink_extent(glyph, threshold)
    crop = glyph[top:bottom, left:right]
    char_top, char_bottom = metrics(char, proportions)
    height = max(2, round((char_top - char_bottom) * cap_height))
    scale = height / crop.shape[0]
    width = max(2, round(crop.shape[1] * scale))
    big = Image.fromarray(np.float32(crop)).resize((width, height), Image.BICUBIC)
    return np.asarray(big, np.float32)


def glyph_sprite(glyph: np.ndarray, char: str, cap_height: int, proportions: Proportions | None = None) -> np.ndarray:
    """The glyph at its height on the line, inked -> float alpha (h, w). Upscaling the
    probabilities smoothly and then inking them (style.ink) gives crisp strokes with edges
    smoother than 28x28 allows."""
    return ink(scaled_probabilities(glyph, char, cap_height, proportions=proportions))


def _tokens(text: str) -> list[list[str]]:
    """Lines of words; a word keeps its characters (known and unknown) in order."""
    return [[w for w in line.split(" ") if w] for line in text.replace("\t", " ").split("\n")]


class _Profile:
    """Where the ink of a row of placed glyphs ends, row by row (rows relative to the baseline).

    Letters are spaced by their ink, not their boxes: the next glyph goes as close as the
    gap allows in every row where both have ink (give or take a few rows, so diagonal
    strokes keep clear too). A slanted or wide glyph's box is mostly empty corners; spacing
    boxes would put slanted letters a word space apart, and then a word space would no
    longer stand out ("Helloworld")."""

    def __init__(self, rows: int, offset: int, reach: int):
        self.right = np.full(rows, -np.inf)  # rightmost ink so far in each row
        self.offset, self.reach, self.box_right = offset, reach, None

    def spread(self, values: np.ndarray, largest: bool, reach: int | None = None) -> np.ndarray:
        """Each row takes the extreme of the rows within `reach` (default the profile's) of it."""
        reach = self.reach if reach is None else reach
        padded = np.pad(values, reach, constant_values=-np.inf if largest else np.inf)
        windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1)
        return windows.max(1) if largest else windows.min(1)

    def rows_of(self, sprite: np.ndarray, top: int) -> tuple[slice, np.ndarray, np.ndarray]:
        ink = sprite > INK_THRESHOLD
        cols = np.arange(sprite.shape[1])
        left = np.where(ink.any(1), np.where(ink, cols, np.inf).min(1), np.inf)
        right = np.where(ink.any(1), np.where(ink, cols, -np.inf).max(1), -np.inf)
        start = top + self.offset
        return slice(start, start + sprite.shape[0]), left, right

    def place(self, sprite: np.ndarray, top: int, gap: float, reach: int | None = None) -> int:
        """x of `sprite` (its top `top` rows from the baseline) `gap` px of ink after what is
        placed, in every row within `reach` rows (default the profile's) of one where it has ink."""
        if self.box_right is None:
            return 0
        rows, left, _ = self.rows_of(sprite, top)
        lefts = np.full_like(self.right, np.inf)
        lefts[rows] = left
        lefts = self.spread(lefts, largest=False, reach=reach)
        overlap = np.isfinite(lefts) & np.isfinite(self.right)
        if not overlap.any():  # no rows in common (a dot after a descender...): go by the boxes
            return int(round(self.box_right + gap))
        return int(np.ceil((self.right[overlap] - lefts[overlap]).max() + 1 + gap))

    def add(self, sprite: np.ndarray, x: int, top: int) -> None:
        rows, _, right = self.rows_of(sprite, top)
        self.right[rows] = np.maximum(self.right[rows], x + right)
        self.box_right = max(self.box_right or 0, x + sprite.shape[1])


def layout_text(text: str, glyphs: list, *, cap_height: int = 48, line_width: int = 1000,
                pen: tuple[float, float] | None = None, strokes: bool | None = None,
                proportions: Proportions | None = None) -> Page:
    """Place `glyphs` (one per character of `text` that is in CHARSET, in order) on a page.

    A glyph is the decoder's 28x28 probabilities (inked after scaling) or a StrokeGlyph (drawn
    with its pen); `strokes` (default: whether the glyphs are StrokeGlyphs) says which kind
    punctuation takes. Spaces and newlines separate words and lines. With `pen` (stroke weight in capital
    heights, slant dx/dy: `punctuation.pen_of`), punctuation and symbols are drawn by rule
    in that pen; without it, and for characters outside printable ASCII, they are left as
    gaps. Lines wrap at word boundaries to fit `line_width` pixels (the page's width,
    margins included); a word longer than a line is broken between letters. `proportions`:
    the hand's (glyph_vae.glyphs.proportions; default a typical hand's), for the decoder's glyphs'
    heights and the room each line leaves above and below its baseline (StrokeGlyphs come
    with their heights).
    """
    from . import punctuation

    drawable = [c for c in text if c in CHARSET]
    if len(drawable) != len(glyphs):
        raise ValueError(f"layout_text: {len(drawable)} drawable characters but {len(glyphs)} glyphs")
    if cap_height < 8:
        raise SettingError(f"The capital height must be at least 8 pixels, not {cap_height}.")
    margin = round(MARGIN * cap_height)
    usable = line_width - 2 * margin
    if usable < 2 * cap_height:
        raise SettingError(f"A line width of {line_width} px is too narrow for capitals {cap_height} px high.")
    letter_gap, word_gap = LETTER_GAP * cap_height, WORD_GAP * cap_height
    unknown_gap = round(GAP_FOR_UNKNOWN * cap_height)
    hand = proportions or TYPICAL
    ascent, descent = round((hand.highest + 0.03) * cap_height), round(-hand.descender * cap_height) + 2
    rows, reach = ascent + descent + 2, max(1, round(0.12 * cap_height))
    word_reach = max(reach, round(WORD_REACH * cap_height))
    ruled = set(punctuation.PUNCTUATION) if pen is not None else set()
    if strokes is None:
        strokes = any(not isinstance(g, np.ndarray) for g in glyphs)

    sources = iter(glyphs)
    unknown = "".join(dict.fromkeys(c for c in text if c not in CHARSET and c not in ruled and c not in " \n\t\r"))

    # The profile's rows reach past the line's ascent and descent: brackets and slashes do.
    overhang = round(0.3 * cap_height)

    def new_profile() -> _Profile:
        return _Profile(rows + 2 * overhang, ascent + 1 + overhang, reach)

    def item(c: str):
        """(char, sprite or None, its top in rows from the baseline, its source glyph). A source is
        the decoder's 28x28 glyph or a StrokeGlyph; punctuation is drawn by rule in the same kind."""
        if c in CHARSET:
            glyph = next(sources)
            if isinstance(glyph, np.ndarray):
                return (c, glyph_sprite(glyph, c, cap_height, hand), -round(metrics(c, hand)[0] * cap_height),
                        glyph)
        elif c in ruled:
            if not strokes:
                drawn, top, _ = punctuation.draw(c, weight=pen[0], slant=pen[1], cap=cap_height)
                return c, drawn, -round(top * cap_height), None
            glyph = punctuation.stroke_glyph(c, weight=pen[0], slant=pen[1])
        else:
            return c, None, 0, None
        return c, glyph.sprite(cap_height), -round(glyph.top * cap_height), glyph

    # Each line: a list of (char, sprite or None, x, top, source); x from the line's left edge,
    # top in rows from the baseline (negative: above it).
    lines: list[list[tuple]] = [[]]
    profile = new_profile()

    def place_word(items, profile: _Profile, start_gap: float, start_reach: int | None = None):
        """The word's glyphs placed after `profile` -> (placed items, the word's right end)."""
        placed, end, gap, spread = [], 0, start_gap, start_reach
        for c, sprite, top, source in items:
            if sprite is None:  # an unknown character: a blank of its own, which ink does not reach into
                x = 0 if profile.box_right is None else int(round(profile.box_right + gap))
                profile.right[:] = -np.inf
                profile.box_right = x + unknown_gap
                placed.append((c, None, x, 0, None))
                end = x + unknown_gap
            else:
                x = profile.place(sprite, top, gap, spread)
                profile.add(sprite, x, top)
                placed.append((c, sprite, x, top, source))
                end = max(end, x + sprite.shape[1])
            gap, spread = letter_gap, None
        return placed, end

    for line_index, words in enumerate(_tokens(text.replace("\r", ""))):
        if line_index:
            lines.append([])
            profile = new_profile()
        for word in words:
            items = [item(c) for c in word]
            trial = copy_profile(profile)
            placed, end = place_word(items, trial, word_gap, word_reach)
            if lines[-1] and end > usable:  # wrap before the word
                lines.append([])
                profile = new_profile()
                trial = copy_profile(profile)
                placed, end = place_word(items, trial, word_gap, word_reach)
            if end > usable:  # a word longer than the whole line: break it between letters
                profile, placed = new_profile(), []
                for one in items:
                    part, part_end = place_word([one], profile, letter_gap)
                    if part_end > usable and (placed or lines[-1]):
                        lines[-1].extend(placed)
                        lines.append([])
                        profile, placed = new_profile(), []
                        part, part_end = place_word([one], profile, letter_gap)
                    placed.extend(part)
                    end = part_end
                lines[-1].extend(placed)
                continue
            profile = trial
            lines[-1].extend(placed)

    # Tall ascenders over deep descenders need more than the usual pitch to stay apart.
    line_pitch = round(max(LINE_HEIGHT, hand.highest - hand.descender + 0.35) * cap_height)
    placed_glyphs: list[PlacedGlyph] = []
    placed_sources: list[np.ndarray | None] = []
    ink_layer = np.zeros((margin * 2 + line_pitch * (len(lines) - 1) + ascent + descent, line_width), np.float32)
    right_edge = 0
    for number, items in enumerate(lines):
        baseline = margin + ascent + number * line_pitch
        for c, sprite, x, top, source in items:
            if sprite is None:
                right_edge = max(right_edge, margin + x + unknown_gap)
                continue
            h, w = sprite.shape
            x0, y0 = margin + x, baseline + top
            region = ink_layer[y0:y0 + h, x0:x0 + w]
            np.maximum(region, sprite[:region.shape[0], :region.shape[1]], out=region)
            placed_glyphs.append(PlacedGlyph(c, number, (x0, y0, x0 + w, y0 + h), baseline))
            placed_sources.append(source)
            right_edge = max(right_edge, x0 + w)
    # Trim the page to the longest line (a short note should not sit on a wide white sheet).
    width = min(line_width, max(right_edge + margin, 2 * margin + cap_height))
    alpha = ink_layer[:, :width, None]
    pixels = PAPER * (1 - alpha) + INK * alpha
    return Page(Image.fromarray(np.uint8(np.round(pixels))), placed_glyphs, unknown, placed_sources, pen)


def copy_profile(profile: _Profile) -> _Profile:
    twin = _Profile(len(profile.right), profile.offset, profile.reach)
    twin.right, twin.box_right = profile.right.copy(), profile.box_right
    return twin

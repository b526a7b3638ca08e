"""A writer's hand as an installable font: TrueType and WOFF2, with alternates cycled by `calt`.

    >>> from glyph_vae.export.font import build_font
    >>> files = build_font(model, style, name="My Hand", alternates=3, randomness=0.3, seed=1)
    >>> open("my-hand.ttf", "wb").write(files.ttf)

Built with fontTools' FontBuilder, in the steps of its recipe: glyph order, cmap, glyf (the
outlines of glyph_vae.export.vector, TrueType's quadratic B-splines as they are), hmtx, hhea,
name, OS/2, post, and the `calt` feature compiled from feature code by feaLib.

- Every letter and digit is drawn by GlyphVAE in the style; the space and the printable
  ASCII punctuation and symbols are drawn by rule (glyph_vae.pipelines.punctuation) with the stroke
  weight and slant measured on the style's own glyphs.
- Metrics are the page's (glyph_vae.pipelines.layout): capitals and digits 0.7 em tall on the
  baseline, the x-height, ascenders, descenders below the line; each glyph's advance is its
  ink's width plus the page's letter gap, half of it on either side.
- Alternates: glyph k of a letter or digit is drawn from z = mean + a x variation x noise_k
  (glyph 0 at the mean, the style itself), where `variation` is the spread of one drawing's
  posterior (Style.hand_variation) and a = max(randomness, ALTERNATE_FLOOR). Why: with five
  drawings the style's own spread is tight, and alternates drawn from it at randomness 1 differ
  by 0.18 of their ink (mean pixel difference), against 0.29 between six drawings of one
  character by one (synthetic) writer; drawn from one drawing's spread they differ by 0.26,
  with the writer's spread of slant. Below randomness 0.5 they would look like copies, so the
  floor keeps them apart; `bench/font.py` measures it. `calt` then cycles the alternates
  through a word (the second letter takes alternate 1, the next 2, ...), so repeated letters
  ("llama", "1000") differ as handwriting does.
"""
from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from ..errors import SettingError, check_randomness, check_seed, check_whole_number
from ..pipelines.layout import LETTER_GAP, WORD_GAP
from ..glyphs.proportions import TYPICAL
from ..models.model import CHARSET, GlyphVAE
from ..pipelines.punctuation import PUNCTUATION
from ..pipelines.style import Style, draw_glyphs, style_latents
from .vector import TRACE_CAP, Outline

UNITS_PER_EM = 1000
CAP_UNITS = 700  # the capital height in font units
UNITS_PER_PX = CAP_UNITS / TRACE_CAP  # outlines are traced at TRACE_CAP px per capital height
MAX_ALTERNATES = 5
ALTERNATE_FLOOR = 0.5
DEFAULT_NAME = "GlyphVAE Hand"
MAX_NAME_LENGTH = 40
# A fixed date in the head table (1 January 2026), so the same inputs give the same bytes.
FONT_DATE = 3849984000  # seconds since 1904-01-01, the head table's epoch
# Units: the page's 1.75 capitals from line to line. The gap between lines is part of the
# ascent (hhea's and OS/2's line gaps 0, as font validators ask: applications differ in
# where they put a line gap, but all of them keep the ascent above the line).
ASCENT, DESCENT, LINE_GAP = 800, 300, 125
# TrueType instructions for fonts without hints: smart dropout control on at every size, so a
# hairline of a light hand is never dropped by the rasteriser (SCANCTRL 511, SCANTYPE 4).
DROPOUT_PROGRAM = ["PUSHW[ ]", "511", "SCANCTRL[ ]", "PUSHB[ ]", "4", "SCANTYPE[ ]"]


@dataclass(frozen=True)
class FontFiles:
    ttf: bytes
    woff2: bytes
    family: str
    postscript_name: str
    glyph_count: int
    missing: str  # printable ASCII characters the font has no glyph for ("" when none)


def check_font_name(name) -> str:
    """A family name for font menus: 1 to 40 printable characters (default "GlyphVAE Hand")."""
    if name is None or not str(name).strip():
        return DEFAULT_NAME
    raw = str(name)
    if not raw.isprintable():
        bad = next(c for c in raw if not c.isprintable())
        raise SettingError(f"The font name has a control character (U+{ord(bad):04X}); "
                           "use letters, digits, spaces and punctuation.")
    name = " ".join(raw.split())
    if len(name) > MAX_NAME_LENGTH:
        raise SettingError(f"The font name has {len(name)} characters; at most {MAX_NAME_LENGTH} fit a font menu.")
    return name


def postscript_name(family: str) -> str:
    """The family as a PostScript name: ASCII letters and digits only, at most 31 characters in all."""
    ascii_name = unicodedata.normalize("NFKD", family).encode("ascii", "ignore").decode()
    core = re.sub(r"[^A-Za-z0-9]", "", ascii_name)[:23] or "GlyphVAEHand"
    return f"{core}-Regular"


def glyph_name(char: str) -> str:
    from fontTools.agl import UV2AGL

    return UV2AGL.get(ord(char), f"uni{ord(char):04X}")


def alternate_glyphs(model: GlyphVAE, style: Style, alternates: int, randomness: float, seed: int) -> list[np.ndarray]:
    """The decoder's probabilities of every character, once per alternate (see the module's note)."""
    variants = [draw_glyphs(model, CHARSET, style, 0.0, seed, crisp=False)]  # the style itself
    spread = style.hand_variation
    strength = max(randomness, ALTERNATE_FLOOR)
    for k in range(1, alternates):
        variants.append(draw_glyphs(model, CHARSET, style, strength, (seed + k) % (2**63), crisp=False,
                                    spread=spread))
    return variants


def to_units(shape: Outline, top: float, left: float = 0.0) -> list[np.ndarray]:
    """Contours in font units, y up: `top` is the sprite's top edge in capital heights above
    the baseline, `left` its left edge in capital heights. Traced outer contours run clockwise
    on screen; flipping y reverses them, so each is reversed back (TrueType: outer clockwise)."""
    out = []
    for c in shape.contours:
        x = (c[:, 0] / TRACE_CAP + left) * CAP_UNITS
        y = (top - c[:, 1] / TRACE_CAP) * CAP_UNITS
        points = np.round(np.stack([x, y], 1)[::-1]).astype(int)
        keep = np.any(points != np.roll(points, 1, axis=0), axis=1)  # no repeated points after rounding
        if keep.sum() >= 3:
            out.append(points[keep])
    return out


def ink_sides(shape: Outline, left: float = 0.0) -> tuple[float, float] | None:
    """Where a glyph's ink begins and ends for spacing, in font units: halfway between its
    extreme and its typical row. A slanted glyph's box is mostly empty corners, so spacing
    boxes sets italic letters far apart; spacing the typical row alone would let a T's bar
    or an f's hook reach into its neighbour. Halfway keeps both in bounds."""
    if shape.lefts is None or not len(shape.lefts):
        return None
    to_units = lambda px: (px / TRACE_CAP + left) * CAP_UNITS  # noqa: E731
    return (to_units(0.5 * (shape.lefts.min() + np.median(shape.lefts))),
            to_units(0.5 * (shape.rights.max() + np.median(shape.rights))))


def ttglyph(contours: list[np.ndarray], gap: int, sides: tuple[float, float] | None = None):
    """A TrueType glyph of closed, all off-curve quadratic contours, placed so that its ink
    (`sides`, default its box) has half the letter gap on either side -> (glyph, advance)."""
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    pen = TTGlyphPen(None)
    if not contours:
        return pen.glyph(), gap
    xmin = min(int(c[:, 0].min()) for c in contours)
    xmax = max(int(c[:, 0].max()) for c in contours)
    begin, end = sides if sides is not None else (xmin, xmax)
    shift = round(gap / 2 - begin)
    for c in contours:
        pen.qCurveTo(*[(int(x) + shift, int(y)) for x, y in c], None)  # None: a contour of off-curve points only
        pen.closePath()
    return pen.glyph(), round(end - begin + gap)


def calt_feature(names: list[str], alternates: int) -> str:
    """Feature code that cycles the alternates of letters and digits through a run of them."""
    if alternates < 2:
        return ""
    classes = "\n".join(f"@cycle{k} = [{' '.join(n if k == 0 else f'{n}.alt{k}' for n in names)}];"
                        for k in range(alternates))
    rules = "\n".join(f"    sub @cycle{k} @cycle0' by @cycle{k + 1};" for k in range(alternates - 1))
    return (f"languagesystem DFLT dflt;\nlanguagesystem latn dflt;\n{classes}\n"
            f"feature calt {{\n{rules}\n}} calt;\n")


def alternate_stroke_glyphs(model: GlyphVAE, style: Style, alternates: int, randomness: float, seed: int,
                            pen: float) -> list[list]:
    """Every character as pen strokes, once per alternate (see the module's note), fitted in one batch."""
    import torch

    from ..pipelines.stroke_glyphs import fit_glyphs, from_fit

    z = [style_latents(style, len(CHARSET), 0.0, seed)]  # the style itself
    strength = max(randomness, ALTERNATE_FLOOR)
    for k in range(1, alternates):
        z.append(style_latents(style, len(CHARSET), strength, (seed + k) % (2**63), spread=style.hand_variation))
    fit, _ = fit_glyphs(model, CHARSET * alternates, torch.cat(z))
    glyphs = from_fit(CHARSET * alternates, fit, pen, style.proportions)
    return [glyphs[k * len(CHARSET):(k + 1) * len(CHARSET)] for k in range(alternates)]


def stroke_ttglyph(glyph, gap: int):
    """A TrueType glyph of a StrokeGlyph's round-pen outline (skia-pathops), its box with half the
    letter gap on either side -> (glyph, advance)."""
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    from ..pipelines.stroke_glyphs import outline_path

    shift = gap / 2
    path = outline_path(glyph, lambda x, y: (x * CAP_UNITS + shift, (glyph.top - y) * CAP_UNITS))
    if not path.clockwise:  # TrueType: outer contours clockwise with y up
        path.reverse()
    pen = TTGlyphPen(None)
    path.draw(pen)
    return pen.glyph(), round(glyph.width * CAP_UNITS + gap)


def build_font(model: GlyphVAE, style: Style, *, name: str = DEFAULT_NAME, alternates: int = 3,
               randomness: float = 0.3, seed: int = 0) -> FontFiles:
    """The style as a font: TrueType and WOFF2 bytes (see the module's note)."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable
    from fontTools.ttLib.tables import ttProgram

    from ..pipelines import punctuation

    # What a user gives is checked here, once: the layers below (style_latents) take it as checked.
    family = check_font_name(name)
    alternates = check_whole_number(alternates, "The number of alternates", 1, MAX_ALTERNATES)
    randomness, seed = check_randomness(randomness), check_seed(seed)
    gap = round(LETTER_GAP * CAP_UNITS)

    from ..pipelines.stroke_glyphs import pen_width

    weight, slant = punctuation.style_pen(model, style)
    pen = pen_width(weight)
    variants = alternate_stroke_glyphs(model, style, alternates, randomness, seed, pen)
    glyphs, advances, order, cmap = {}, {}, [".notdef", "space"], {32: "space"}
    notdef = TTGlyphPen(None)
    for box in (((50, 0), (50, CAP_UNITS), (450, CAP_UNITS), (450, 0)),
                ((100, 50), (400, 50), (400, CAP_UNITS - 50), (100, CAP_UNITS - 50))):
        notdef.moveTo(box[0])
        for point in box[1:]:
            notdef.lineTo(point)
        notdef.closePath()
    glyphs[".notdef"], advances[".notdef"] = notdef.glyph(), 500
    glyphs["space"], advances["space"] = TTGlyphPen(None).glyph(), round((WORD_GAP - LETTER_GAP) * CAP_UNITS)

    base_names = [glyph_name(c) for c in CHARSET]
    for k, strokes in enumerate(variants):
        for char, base, glyph in zip(CHARSET, base_names, strokes):
            gname = base if k == 0 else f"{base}.alt{k}"
            glyphs[gname], advances[gname] = stroke_ttglyph(glyph, gap)
            order.append(gname)
            if k == 0:
                cmap[ord(char)] = gname

    cmap[0xA0] = "space"  # the no-break space is a space
    for char in PUNCTUATION:
        gname = glyph_name(char)
        glyphs[gname], advances[gname] = stroke_ttglyph(punctuation.stroke_glyph(char, weight=pen, slant=slant), gap)
        order.append(gname)
        cmap[ord(char)] = gname

    ps_name = postscript_name(family)
    fb = FontBuilder(UNITS_PER_EM, isTTF=True)
    fb.setupHead(unitsPerEm=UNITS_PER_EM, created=FONT_DATE, modified=FONT_DATE, fontRevision=1.0)
    fb.font.recalcTimestamp = False  # keep FONT_DATE: the same inputs, the same bytes
    fb.setupGlyphOrder(order)
    fb.setupCharacterMap(cmap)
    fb.setupGlyf(glyphs)
    metrics_table = {}
    for gname in order:
        glyph = fb.font["glyf"][gname]
        glyph.recalcBounds(fb.font["glyf"])
        metrics_table[gname] = (advances[gname], getattr(glyph, "xMin", 0))
    fb.setupHorizontalMetrics(metrics_table)
    # A hand with tall ascenders or deep descenders (its proportions) gets lines that hold them;
    # the line gap rides in the ascent (lineGap 0), so lines stay 1.75 capitals apart.
    hand = style.proportions or TYPICAL
    ascent = max(ASCENT, round(hand.highest * CAP_UNITS) + 60) + LINE_GAP
    descent = max(DESCENT, round(-hand.descender * CAP_UNITS) + 45)
    fb.setupHorizontalHeader(ascent=ascent, descent=-descent, lineGap=0)
    version = "Version 1.000"
    fb.setupNameTable({"familyName": family, "styleName": "Regular", "uniqueFontIdentifier": f"{ps_name};{seed}",
                       "fullName": f"{family} Regular", "psName": ps_name, "version": version,
                       "manufacturer": "GlyphVAE", "description": "Handwriting drawn by GlyphVAE in the style of a "
                                                                  "few drawn characters."},
                      mac=False)  # Windows names only: every current system reads them
    y_max = max((getattr(fb.font["glyf"][g], "yMax", 0) for g in order), default=ascent)
    y_min = min((getattr(fb.font["glyf"][g], "yMin", 0) for g in order), default=-descent)
    fb.setupOS2(sTypoAscender=ascent, sTypoDescender=-descent, sTypoLineGap=0,
                usWinAscent=max(ascent, y_max), usWinDescent=max(descent, -y_min),
                sxHeight=round(hand.x_height * CAP_UNITS), sCapHeight=CAP_UNITS,
                fsSelection=0x40 | 0x80,  # REGULAR, USE_TYPO_METRICS
                achVendID="GVAE", usWeightClass=400, fsType=0, version=4)  # fsType 0: installable
    os2 = fb.font["OS/2"]
    os2.recalcUnicodeRanges(fb.font)
    os2.recalcCodePageRanges(fb.font)  # Latin 1: the code page applications pick the font for
    fb.setupPost()
    prep = newTable("prep")
    prep.program = ttProgram.Program()
    prep.program.fromAssembly(DROPOUT_PROGRAM)
    fb.font["prep"] = prep
    fb.font["maxp"].maxStackElements = max(fb.font["maxp"].maxStackElements, 1)
    gasp = newTable("gasp")
    gasp.version = 1
    gasp.gaspRange = {0xFFFF: 0x000F}  # grid-fit (no-ops here) and smooth at every size
    fb.font["gasp"] = gasp
    fea = calt_feature(base_names, alternates)
    if fea:
        fb.addOpenTypeFeatures(fea)
    ttf = io.BytesIO()
    fb.font.save(ttf)
    font = fb.font
    font.flavor = "woff2"
    woff2 = io.BytesIO()
    font.save(woff2)
    printable = "".join(chr(i) for i in range(32, 127))
    missing = "".join(c for c in printable if ord(c) not in cmap)
    return FontFiles(ttf.getvalue(), woff2.getvalue(), family, ps_name, len(order), missing)

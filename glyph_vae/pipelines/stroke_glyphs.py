"""Glyphs as pen strokes, and everything written drawn from them: page sprites, the print PNG,
single-line SVG for pen plotters, filled outlines for the SVG page and the font.

A `StrokeGlyph` is a character's centre lines in capital heights, in its box (x right, y
down from the box's top-left corner), with the pen that draws them. Letters and digits come
from `glyph_vae.glyphs.pen` (constructions fitted to the decoder), punctuation from
`glyph_vae.pipelines.punctuation` (strokes by rule); both are drawn the same way:

- sprites and the print PNG: each stroke stamped with a round pen, 3x supersampled;
- plotter lines: the strokes themselves, one subpath per pen-down, cubic Beziers (a
  Catmull-Rom curve through the control points is exactly a chain of cubics); a dot is a
  small circle, so that a plotter makes a mark rather than a pen-down of no length;
- outlines: each stroke expanded by the round pen and the overlaps removed by skia-pathops
  (`Path.stroke` and `simplify`, as font build tools do), quadratic for TrueType.
"""
from __future__ import annotations

import html
import threading
import weakref
from collections import OrderedDict

import numpy as np
import torch

from .layout import metrics
from ..models.model import CHARSET
# A StrokeGlyph and its inking live below the layout and the punctuation, which make them too.
from ..glyphs.round_pen import (CURVE_SAMPLES, DOT_INK, SPRITE_CACHE, SUPERSAMPLE, StrokeGlyph, _SPRITES,  # noqa: F401
                        _SPRITES_LOCK, bezier_spans, catmull_rom, stamp)
from ..export.vector import INK_COLOUR, svg_document
from ..glyphs.holds import hold_arches, hold_bar, hold_k, hold_serifs, hold_tail, join_ends

# Capital heights: a fine liner to a marker; e's and a's eyes stay open. Thinner than 0.045 the
# benchmark's reader read the light hands' letters worse (narrow 91.9% -> 95.2%, light 96.8% -> 100%
# at 0.045), while their style-transfer ratio for lightness gained little (0.63 -> 0.66).
PEN_RANGE = (0.045, 0.17)
DOT_RADIUS = 0.02  # capital heights: a plotter's dot is a circle at least this big
DOT_PAPER = 0.6  # pens of paper (at least 0.04 cap) between an i's or j's dot and its stem
DOT_HIGHEST = 0.3  # capital heights: the highest a dot sits above its stem (a dot higher floats off the word)
DOT_BESIDE = 0.04  # capital heights: the farthest a dot's edge sits to the side of its stem's line
# The extent (top, bottom) of the strokes other than dots, where it differs from the character's
# (layout.metrics): an i's and a j's stems start at the x-height, their dots above it.
def body(char: str, proportions=None) -> tuple[float, float]:
    """(top, bottom) of the strokes other than dots, in capital heights above the baseline."""
    top, bottom = metrics(char, proportions)
    if char in "ij":
        return metrics("x", proportions)[0], bottom
    return top, bottom


def pen_width(weight: float) -> float:
    """The pen (capital heights) for a style's measured stroke weight (`punctuation.pen_measures`).
    The decoder's blur squeezes weights together and thickens them (real test glyphs measure
    0.19, made lighter 0.15, made bolder 0.30), so the measure is spread back out about a typical
    hand's 0.19 (powers 2.5 below it and 1.5 above, from the style-transfer ratios of bench/strokes)
    and bounded so that counters and the gap under an i's dot stay open."""
    ratio = max(weight, 1e-3) / 0.19
    return float(np.clip(0.09 * ratio ** (1.5 if ratio > 1 else 2.5), *PEN_RANGE))


# -- from the fit -------------------------------------------------------------------------------

def from_fit(chars: str, fit, pen: float, proportions=None) -> list[StrokeGlyph]:
    """The fitted strokes (glyph_vae.glyphs.pen.Fit, decoder pixels) as StrokeGlyphs: scaled so that the
    ink spans the character's height on the line (layout.metrics, in a hand of these
    `proportions`; default a typical hand's) and as wide as the hand writes (their width),
    drawn with `pen`."""
    from ..glyphs import pen as pens

    out = []
    hand_width = 1.0 if proportions is None else proportions.width
    points = fit.points.detach().numpy().astype(np.float64)
    for b, char in enumerate(chars):
        v = int(fit.construction[b])
        name, variant = pens.CONSTRUCTIONS[v]
        mask, dots = pens.STROKE_MASK[v].numpy(), pens.DOT_MASK[v].numpy()
        held = pens.keep_construction(points[b], v, float(fit.slant[b]))
        strokes = [held[s].mean(0, keepdims=True) if dots[s] else held[s]
                   for s in range(pens.STROKES) if mask[s]]
        is_dot = [bool(d) for d in dots[mask]]
        body_top, bottom = body(char, proportions)
        x_depth = (body_top - metrics("x", proportions)[0]) / (body_top - bottom)  # of the letter, from its top
        if char == "j":
            strokes = [hold_tail(strokes[0], pens.STRAIGHT_RUNS[v][0][0][1]), *strokes[1:]]
        if char in ARCHED:
            strokes = hold_arches(strokes, float(fit.slant[b]), x_depth if char == "h" else 0.0)
        if char == "I":
            strokes = hold_serifs(strokes)
        if char in pens.BAR_CHARACTERS:
            extent = np.ptp(np.vstack(strokes)[:, 1])
            strokes = hold_bar(strokes, x_depth, pen * extent / (body_top - bottom))
        if char in "kK":
            strokes = hold_k(strokes, x_depth if char == "k" else None)
        if char not in pens.BAR_CHARACTERS + ARCHED:  # bars cross their stems, arches meet theirs
            strokes = join_ends(strokes, is_dot)
        solid = np.vstack([catmull_rom(s) if len(s) > 2 else s for s, d in zip(strokes, is_dot) if not d])
        lo, hi = solid.min(0), solid.max(0)
        scale = (body_top - bottom - pen) / max(hi[1] - lo[1], 1.0)
        # capital heights below the body's top, as wide as the hand writes (proportions.width)
        placed = [(s - lo) * scale * np.array([hand_width, 1.0]) + pen / 2 for s in strokes]
        for k, d in enumerate(is_dot):
            if d:  # the dot above the stem with paper under it, and not floating off
                # stem's top (pen / 2 below the box's top) - the stem's half pen - the dot's radius - paper
                lowest = -max(pen / 2, DOT_INK) - max(DOT_PAPER * pen, 0.04)
                y = float(np.clip(placed[k][0, 1], -DOT_HIGHEST, lowest))
                # and over the stem's top, where the stem would reach if it went on up (a dot the
                # decoder blurred sideways is not left floating beside the letter)
                stem = next(p for p, dot in zip(placed, is_dot) if not dot)
                top_end, below = (stem[0], stem[1]) if stem[0, 1] <= stem[-1, 1] else (stem[-1], stem[-2])
                rise = max(below[1] - top_end[1], 1e-6)
                over = top_end[0] + (top_end[0] - below[0]) / rise * (top_end[1] - y)
                x = float(np.clip(placed[k][0, 0], over - DOT_BESIDE - pen / 2, over + DOT_BESIDE + pen / 2))
                placed[k] = np.array([[x, y]])
        # The box holds the ink: each curve widened by the pen, each dot by its inked radius.
        dense = [catmull_rom(s) if len(s) > 2 else s for s in placed]
        radii = [max(pen / 2, DOT_INK) if d else pen / 2 for d in is_dot]
        lows = np.array([c.min(0) - r for c, r in zip(dense, radii)]).min(0)
        highs = np.array([c.max(0) + r for c, r in zip(dense, radii)]).max(0)
        shift = np.array([-lows[0], -min(0.0, lows[1])])
        placed = [s + shift for s in placed]
        top = body_top + shift[1]
        height = top - bottom
        width = highs[0] - lows[0]
        out.append(StrokeGlyph(char, placed, pen, float(width), float(height), float(top),
                               construction=name if variant == 0 else f"{name}.{variant}"))
    return out


_NETS: dict[int, object] = {}


def stroke_net(latent_dim: int):
    """The bundled StrokeNet (assets/strokes), loaded once; None when there is none."""
    from ..models.hub import bundled_path
    from ..glyphs.pen import STROKE_NET_FILE, load_stroke_net

    if latent_dim not in _NETS:
        folder = bundled_path("strokes")
        _NETS[latent_dim] = load_stroke_net(folder, latent_dim) if (folder / STROKE_NET_FILE).exists() else None
    return _NETS[latent_dim]


FIT_CACHE = 4096  # fitted glyphs kept per model: every character of a few styles and alternates
_FITS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_FITS_LOCK = threading.Lock()


def clear_fit_cache() -> None:
    """Forget every fitted glyph, inked sprite and measured pen (the benchmarks time a first drawing)."""
    from . import punctuation

    with _FITS_LOCK:
        _FITS.clear()
    with _SPRITES_LOCK:
        _SPRITES.clear()
    with punctuation._PENS_LOCK:
        punctuation._PENS.clear()


SLANT_LETTERS = "HNUnuo"  # letters whose rows' centres lean as the hand does (no dot, foot or flag to one side)
STEM_FROM_HAND = 0.06  # the most an i's, l's, j's, I's or 1's stem leans off the hand's slant (0.12 let a font alternate's l lean 0.39 beside its k's 0.23)
ARCHED = "mnh"  # letters whose arches hold_arches draws rightward at the hand's slant


def hand_slant(model, z: torch.Tensor) -> torch.Tensor:
    """The slant of the hand at each style z (B, latent) (B,): the median stem slant
    (glyph_vae.glyphs.pen.stem_slant) of its SLANT_LETTERS as the decoder draws them. The
    decoder's l of a bold, wide hand leans like a slash where its other letters stand."""
    from ..glyphs import pen as pens
    from .style import ink, written_probabilities

    # each style once: a page at randomness 0 asks the same z for all its i's and l's
    styles, which = torch.unique(z, dim=0, return_inverse=True)
    k = len(SLANT_LETTERS)
    classes = torch.tensor([CHARSET.index(c) for c in SLANT_LETTERS]).repeat(len(styles))
    drawn = ink(written_probabilities(model, classes, styles.repeat_interleave(k, 0)))
    return pens.stem_slant(torch.from_numpy(drawn)).view(len(styles), k).median(1).values[which]


def fit_glyphs(model, characters: str, z: torch.Tensor, *, method: str = "auto"):
    """The decoder's glyphs for `characters` at styles `z` (N, latent) and their fitted strokes:
    "net" (StrokeNet, one pass), "fit" (the per-glyph fit, the reference: seconds a batch), or
    "auto" (the net when bundled) -> (pen.Fit, the decoder's probabilities (N, 28, 28)).

    A glyph depends only on its (character, z), so each is decoded and fitted once: repeated
    letters of a page at randomness 0 share one fit, and a page rewritten as the writer types
    (the latents of a seed do not change with the text's length), the font after the page, or
    a download after the preview reuse what was drawn (FIT_CACHE glyphs, least recently used
    dropped). A model in training mode is never cached."""
    from ..glyphs import pen as pens
    from .style import ink, written_probabilities

    classes = [CHARSET.index(c) for c in characters]
    if not classes:
        empty = torch.zeros(0)
        return pens.Fit(torch.zeros(0, pens.STROKES, pens.POINTS, 2), empty, empty.long(), empty, empty), \
            np.zeros((0, pens.SIZE, pens.SIZE), np.float32)
    z = z.detach().float().contiguous()
    rows = z.numpy()
    keys = [(method, c, rows[i].tobytes()) for i, c in enumerate(classes)]
    use_cache = not model.training
    found: dict = {}
    if use_cache:
        with _FITS_LOCK:
            cache = _FITS.setdefault(model, OrderedDict())
            for k in keys:
                if k in cache:
                    cache.move_to_end(k)
                    found[k] = cache[k]
    first = {}
    for i, k in enumerate(keys):
        if k not in found:
            first.setdefault(k, i)
    if first:
        todo = list(first.values())
        todo_classes = torch.tensor([classes[i] for i in todo])
        probabilities = written_probabilities(model, todo_classes, z[todo])
        target = torch.from_numpy(ink(probabilities))
        net = stroke_net(model.config.latent_dim) if method in ("auto", "net") else None
        if method == "net" and net is None:
            raise FileNotFoundError("No StrokeNet weights in assets/strokes (python -m train.strokes --export).")
        fit = (pens.amortised_fit(net, target, todo_classes, z[todo]) if net is not None
               else pens.fit_strokes(target, todo_classes))
        leaning = [j for j, c in enumerate(todo_classes.tolist()) if CHARSET[c] in pens.STEM_CHARACTERS + ARCHED]
        if leaning:
            hand = hand_slant(model, z[todo][leaning])
            stem = torch.tensor([CHARSET[int(todo_classes[j])] in pens.STEM_CHARACTERS for j in leaning])
            # a stem leans with its own ink, but not further than the hand's other letters lean;
            # arches at the hand's slant (an m's rows of ink lean with its three legs, not its hand)
            held = torch.minimum(torch.maximum(fit.slant[leaning], hand - STEM_FROM_HAND), hand + STEM_FROM_HAND)
            fit.slant[leaning] = torch.where(stem, held, hand)
        made = {keys[i]: (fit.points[j].clone(), fit.width[j].clone(), fit.construction[j].clone(),
                          fit.error[j].clone(), probabilities[j].copy(), fit.slant[j].clone())
                for j, i in enumerate(todo)}
        found.update(made)
        if use_cache:
            with _FITS_LOCK:
                cache = _FITS.setdefault(model, OrderedDict())
                cache.update(made)
                while len(cache) > FIT_CACHE:
                    cache.popitem(last=False)
    parts = [found[k] for k in keys]
    fit = pens.Fit(torch.stack([p[0] for p in parts]), torch.stack([p[1] for p in parts]),
                   torch.stack([p[2] for p in parts]), torch.stack([p[3] for p in parts]),
                   torch.stack([p[5] for p in parts]))
    return fit, np.stack([p[4] for p in parts])


def draw_stroke_glyphs(model, characters: str, style, randomness: float = 0.0, seed: int = 0, *,
                       spread: np.ndarray | None = None, pen: float | None = None,
                       method: str = "auto") -> list[StrokeGlyph]:
    """`characters` (each in CHARSET) written in `style` as pen strokes; the same arguments give
    the same strokes. `pen`: the pen's width in capital heights (default the style's weight);
    heights on the line in the style's proportions. The randomness and seed are taken as
    checked (writing.write is the entry that checks them)."""
    from .punctuation import style_pen
    from .style import check_characters, style_latents

    check_characters(characters)
    if not characters:
        return []
    z = style_latents(style, len(characters), randomness, seed, spread=spread)
    fit, _ = fit_glyphs(model, characters, z, method=method)
    return from_fit(characters, fit, pen_width(style_pen(model, style)[0]) if pen is None else pen,
                    style.proportions)


ROUND_ENOUGH = 0.3  # width over height: narrower letters (an l, an i, a 1) say nothing of a hand's width
MEASURED_CAP = 64  # pixels: the capital height the stroke glyphs are drawn at to be measured


def measured_width(model, glyphs: np.ndarray, classes, style) -> float:
    """How wide a hand writes: its normalised drawings (N, 28, 28) of `classes` against the stroke
    glyphs of the same characters in `style` as the model draws them (at its own width), both
    normalised as a drawing is and measured as width over height (glyph_vae.glyphs.measures); the
    median ratio, or 1.0 where no drawing is wide enough to say (ROUND_ENOUGH). The decoder
    follows a narrow or a wide hand only part of the way (bench/strokes' style-transfer ratios);
    the proportions' width makes up the rest."""
    from dataclasses import replace

    from ..glyphs.measures import height, width
    from ..glyphs.preprocess import normalize_glyph

    glyphs = np.asarray(glyphs, np.float32)
    if len(glyphs) == 0:
        return 1.0
    chars = "".join(CHARSET[int(c)] for c in classes)
    drawn = draw_stroke_glyphs(model, chars, replace(style, proportions=None))
    ours = np.stack([normalize_glyph(np.uint8(255 * g.sprite(MEASURED_CAP))) for g in drawn])
    theirs_wide = width(glyphs) / np.maximum(height(glyphs), 1.0)
    ours_wide = width(ours) / np.maximum(height(ours), 1.0)
    wide_enough = ours_wide >= ROUND_ENOUGH
    if not wide_enough.any():
        return 1.0
    return float(np.median(theirs_wide[wide_enough] / ours_wide[wide_enough]))


# -- plotter lines ---------------------------------------------------------------------------

def plotter_path(glyph: StrokeGlyph, dx: float, dy: float, scale: float) -> str:
    """SVG path data for a glyph's pen-downs, one subpath each (M then cubic Beziers, or lines
    for punctuation's polylines), in page units: `scale` per capital height, box at (dx, dy)."""
    parts = []
    for stroke in glyph.strokes:
        p = stroke * scale + np.array([dx, dy])
        if len(p) == 1:  # a dot: a small circle, two arcs
            r = max(DOT_RADIUS, 0.3 * glyph.pen) * scale
            x, y = p[0]
            parts.append(f"M{x + r:.2f} {y:.2f}A{r:.2f} {r:.2f} 0 1 1 {x - r:.2f} {y:.2f}"
                         f"A{r:.2f} {r:.2f} 0 1 1 {x + r:.2f} {y:.2f}")
        elif glyph.smooth and len(p) > 2:
            spans = bezier_spans(p)
            parts.append(f"M{p[0][0]:.2f} {p[0][1]:.2f}" + "".join(
                f"C{a[0]:.2f} {a[1]:.2f} {b[0]:.2f} {b[1]:.2f} {c[0]:.2f} {c[1]:.2f}" for a, b, c in spans))
        else:
            parts.append(f"M{p[0][0]:.2f} {p[0][1]:.2f}" + "".join(f"L{x:.2f} {y:.2f}" for x, y in p[1:]))
    return "".join(parts)


# -- outlines (skia-pathops) -------------------------------------------------------------------

STROKE_UNITS = 140  # units per capital height in which outlines are stroked (see outline_path)


def outline_path(glyph: StrokeGlyph, transform=lambda x, y: (x, y)):
    """The glyph's strokes expanded by its round pen, overlaps removed -> pathops.Path of
    quadratic curves and lines, through `transform` (capital heights in the box -> out units,
    a similarity: the pen stays round). Outer contours run clockwise in the output's y-up sense
    when `transform` flips y (as font units do).

    Skia's stroker flattens to a fixed tolerance in its own units, so a font's 700 units a
    capital would get points every few units; the strokes are expanded at no more than
    STROKE_UNITS a capital (a tolerance of 1/500 of a capital height) and scaled up after."""
    import pathops

    path, dots = pathops.Path(), pathops.Path()
    (x0, _), (x1, _) = transform(0.0, 0.0), transform(1.0, 0.0)
    unit = abs(x1 - x0)
    coarse = max(1.0, unit / STROKE_UNITS)
    unit /= coarse
    for stroke in glyph.strokes:
        pts = [tuple(v / coarse for v in transform(float(x), float(y))) for x, y in stroke]
        if len(pts) == 1:  # a dot: a round cap on a pen-down of no length, at least DOT_INK big
            dots.moveTo(*pts[0])
            dots.lineTo(pts[0][0] + 1e-3 * unit, pts[0][1])
            continue
        path.moveTo(*pts[0])
        if glyph.smooth and len(pts) > 2:
            for a, b, c in bezier_spans(np.asarray(pts)):
                path.cubicTo(*a, *b, *c)
        else:
            for p in pts[1:]:
                path.lineTo(*p)
    path.stroke(glyph.pen * unit, pathops.LineCap.ROUND_CAP, pathops.LineJoin.ROUND_JOIN, 4.0)
    if len(list(dots.contours)):
        dots.stroke(max(glyph.pen, 2 * DOT_INK) * unit, pathops.LineCap.ROUND_CAP, pathops.LineJoin.ROUND_JOIN, 4.0)
        dots.convertConicsToQuads()
        path.convertConicsToQuads()
        path = pathops.op(path, dots, pathops.PathOp.UNION)
    path.convertConicsToQuads()
    path.simplify(fix_winding=True)
    return path.transform(coarse, 0, 0, coarse, 0, 0) if coarse > 1 else path


def path_svg_data(path) -> str:
    from fontTools.pens.svgPathPen import SVGPathPen

    pen = SVGPathPen(None, ntos=lambda v: f"{v:.2f}".rstrip("0").rstrip("."))
    path.draw(pen)
    return pen.getCommands()


# -- pages ------------------------------------------------------------------------------------

MM_PER_PX = 210 / 1000  # the default 1000 px line as an A4 page's width, 210 mm (the print PNG: 2,480 px at 300 dpi)


def svg_page(page, kind: str, *, title: str = "Written by GlyphVAE") -> str:
    """The page as SVG in the PNG's layout, one <path data-char> per glyph, a <g> per line,
    width and height in millimetres (a 1000 px line is 210 mm, A4's width):
    "outline", the strokes' round-pen outlines filled; "single_line", the strokes themselves,
    one subpath per pen-down, no fill and no background, for pen plotters."""
    width, height = page.image.size
    lines: dict[int, list[str]] = {}
    for placed, glyph in zip(page.glyphs, page.sources):
        left, top, _, bottom = placed.box
        scale = (bottom - top) / glyph.height
        char = html.escape(placed.char, quote=True)
        if kind == "single_line":
            d = plotter_path(glyph, left, top, scale)
        else:
            d = path_svg_data(outline_path(glyph, lambda x, y: (left + x * scale, top + y * scale)))
        lines.setdefault(placed.line, []).append(f'<path data-char="{char}" d="{d}"/>')
    if kind == "single_line":
        pen = page.sources[0].pen * (page.glyphs[0].box[3] - page.glyphs[0].box[1]) / page.sources[0].height \
            if page.sources else 1.0
        style = (f'fill="none" stroke="{INK_COLOUR}" stroke-width="{pen:.2f}" stroke-linecap="round" '
                 f'stroke-linejoin="round"')
    else:
        style = f'fill="{INK_COLOUR}" fill-rule="nonzero" stroke="none"'
    return svg_document(lines, style, width, height, title,
                        size=(f"{width * MM_PER_PX:.2f}mm", f"{height * MM_PER_PX:.2f}mm"))


def render_page(page, scale: float):
    """The page drawn from its strokes at `scale` times its size (the print PNG)."""
    from PIL import Image

    from .layout import INK, PAPER

    width, height = page.image.size
    W, H = round(width * scale), round(height * scale)
    alpha = np.zeros((H, W), np.float32)
    for placed, glyph in zip(page.glyphs, page.sources):
        left, top, _, bottom = placed.box
        cap = (bottom - top) / glyph.height * scale
        x0, y0 = int(np.floor(left * scale)), int(np.floor(top * scale))
        h, w = int(np.ceil(glyph.height * cap)) + 2, int(np.ceil(glyph.width * cap)) + 2
        piece = stamp(glyph.polylines(), glyph.pen, cap, (h, w), (left * scale - x0, top * scale - y0))
        region = alpha[y0:y0 + h, x0:x0 + w]
        np.maximum(region, piece[:region.shape[0], :region.shape[1]], out=region)
    pixels = PAPER * (1 - alpha[..., None]) + INK * alpha[..., None]
    return Image.fromarray(np.uint8(np.round(pixels)))

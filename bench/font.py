"""How good is the hand as a font and as vectors? Builds fonts and SVG pages as the app does
and measures them.

    python -m bench.font [--data-dir ../shared/data] [--style-sets 20]

- time: a 62-character font with 3 alternates (median of 5), an SVG page of 100 characters
  (median of 5, each kind), the print PNG; the files' sizes;
- validity: every font built here through the OpenType Sanitizer (the checks Chrome and
  Firefox apply to web fonts) and a fontTools round trip; `calt` shaped by HarfBuzz;
- fidelity: each traced outline rasterised back at the decoder's resolution against the
  glyph it was traced from (IoU of ink); the centre lines, stroked at the style's weight,
  against the glyph's ink, and read by the independent judge;
- legibility as a font: text set with the generated TTF by FreeType (Pillow's ImageFont),
  each character cut out and read by the judge of "Write like me", against the same glyphs
  drawn as the PNG page draws them;
- alternates: how much a font's alternates differ, against the glyphs of one writer.

Styles: the prior, the app's five example styles, and --style-sets sets of 5 EMNIST test
glyphs of 5 random characters (as "Write like me" benchmarks them). Writes the "font"
section of BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from glyph_vae import GlyphVAE, normalize_glyph
from glyph_vae.export.font import alternate_glyphs, build_font
from glyph_vae.models.hub import bundled_path
from glyph_vae.pipelines.layout import glyph_sprite, scaled_probabilities
from glyph_vae.glyphs.measures import measure_all
from glyph_vae.models.model import CHARSET
from glyph_vae.pipelines.style import draw_glyphs, infer_style, ink, prior_style
from glyph_vae.export.vector import (INK_LEVEL, centre_line_fidelity, centre_lines, iou, outline_fidelity, rasterize,
                              trace_sprite)
from glyph_vae.pipelines.writing import style_from_drawings, write_print, write_svg

from . import char_classifier as judge
from .report import Headline, machine, write_section

TEXT_100 = "The quick brown fox jumps over the lazy dog and then the dog chases the fox around the old barn okay"
EXAMPLES = ("narrow", "wide", "light", "bold", "italic")


def median_ms(fn, runs: int = 5) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def styles(model: GlyphVAE, data_dir: Path, sets: int, seed: int = 0) -> dict[str, object]:
    out = {"prior": prior_style(model.config.latent_dim)}
    for name in EXAMPLES:
        out[name] = style_from_drawings(model, [bundled_path("style_examples", name, f"{c}.png") for c in "AGK47"])[0]
    if sets:
        from train.data import load_npz

        test = load_npz(data_dir / "emnist_byclass_test.npz", "test")
        rng = np.random.default_rng(seed)
        for k in range(sets):
            chars = rng.choice(len(CHARSET), 5, replace=False)
            picks = [rng.choice(np.flatnonzero(test.labels == c)) for c in chars]
            out[f"EMNIST set {k + 1}"] = infer_style(model, test.images[picks].astype(np.float32) / 255.0)
    return out


def potrace_polygons(mask: np.ndarray) -> tuple[list[np.ndarray], int]:
    """The mask traced by potrace (the `potracer` port), its Bezier curves flattened -> (polygons, segments)."""
    import potrace

    traced = potrace.Bitmap(~mask).trace(turdsize=2, alphamax=1.0, opticurve=True, opttolerance=0.2)
    polygons, segments = [], 0
    t = np.linspace(0, 1, 8)[:, None]
    for curve in traced.curves:
        points, start = [], np.array([curve.start_point.x, curve.start_point.y])
        for seg in curve.segments:
            end = np.array([seg.end_point.x, seg.end_point.y])
            if seg.is_corner:
                points += [np.array([seg.c.x, seg.c.y]), end]
            else:
                c1, c2 = np.array([seg.c1.x, seg.c1.y]), np.array([seg.c2.x, seg.c2.y])
                points += list((1 - t) ** 3 * start + 3 * (1 - t) ** 2 * t * c1 + 3 * (1 - t) * t ** 2 * c2 + t ** 3 * end)
            start = end
            segments += 1
        polygons.append(np.array(points))
    return polygons, segments


def compare_tracers(glyphs) -> dict:
    """Ours (marching squares, quadratic B-splines) against potrace on the same masks: time,
    fidelity at the decoder's resolution (as outline_fidelity measures it), size."""
    from PIL import Image, ImageDraw

    from glyph_vae.pipelines.layout import ink_extent
    from glyph_vae.export.vector import TRACE_CAP, outline_of

    out = {"ours": {"ms": [], "iou": [], "points": 0}, "potrace": {"ms": [], "iou": [], "points": 0}}
    for glyph, char in glyphs:
        probabilities = scaled_probabilities(glyph, char, TRACE_CAP)
        field = trace_sprite(probabilities)
        top, bottom, left, right = ink_extent(glyph)
        w, h = right - left, bottom - top
        target = np.asarray(Image.fromarray(np.float32(field > INK_LEVEL)).resize((w, h), Image.BOX))
        start = time.perf_counter()
        shape = outline_of(probabilities, char)
        out["ours"]["ms"].append(1000 * (time.perf_counter() - start))
        out["ours"]["iou"].append(iou(rasterize(shape.contours, w, h, scale=h / shape.height, supersample=8), target))
        out["ours"]["points"] += sum(len(c) for c in shape.contours)
        start = time.perf_counter()
        polygons, segments = potrace_polygons(field > INK_LEVEL)
        out["potrace"]["ms"].append(1000 * (time.perf_counter() - start))
        scale, supersample = h / field.shape[0] * 8, 8
        mask = np.zeros((h * supersample, w * supersample), bool)
        for polygon in polygons:
            layer = Image.new("1", (w * supersample, h * supersample), 0)
            ImageDraw.Draw(layer).polygon([tuple(q) for q in polygon * scale], fill=1)
            mask ^= np.asarray(layer)
        coverage = mask.reshape(h, supersample, w, supersample).mean((1, 3))
        out["potrace"]["iou"].append(iou(coverage, target))
        out["potrace"]["points"] += 3 * segments  # a cubic segment: two control points and an end
    return out


def set_with_freetype(ttf: bytes, chars: str, size: int = 96) -> np.ndarray:
    """Each character set alone with the font by FreeType (Pillow's ImageFont), normalised."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(io.BytesIO(ttf), size)
    out = []
    for char in chars:
        image = Image.new("L", (size * 2, size * 2), 0)
        ImageDraw.Draw(image).text((size // 2, size * 3 // 2), char, font=font, fill=255, anchor="ls")
        out.append(normalize_glyph(np.asarray(image)))
    return np.stack(out)


def set_as_the_page(glyphs: np.ndarray, chars: str, cap: int = 96) -> np.ndarray:
    """The same glyphs drawn as the PNG page draws them (scaled, inked), normalised."""
    return np.stack([normalize_glyph(np.uint8(255 * glyph_sprite(g, c, cap))) for g, c in zip(glyphs, chars)])


def reading_rates(judge_model, glyphs: np.ndarray, targets: np.ndarray) -> dict:
    predicted, _ = judge.predict(judge_model, glyphs)
    folded = judge.correct_casefolded(targets, predicted)
    merged = judge.correct_merged(targets, predicted)
    return {"casefold": float(folded.mean()), "merged": float(merged.mean()), "per_char": folded}


def writer_variation(chars: str, repeats: int = 6) -> tuple[float, dict]:
    """How much one writer's glyphs of a character differ: a synthetic writer of glyph_vae.glyphs.strokes
    (fixed pen, size, slant and width; each drawing with its own wobble, tilt and place),
    since no data set here has writer ids."""
    from glyph_vae.glyphs.strokes import render_strokes
    from glyph_vae.testing.drawings import place_strokes

    sets = {}
    for char in chars:
        drawings = []
        for k in range(repeats):
            rng = np.random.default_rng(1000 + k)
            strokes = place_strokes(char, rng, 400, height=0.6, slant=0.1, aspect=0.7)
            drawings.append(normalize_glyph(render_strokes(strokes, 400, 14)))
        sets[char] = np.stack(drawings)
    return variation(sets)


def variation(sets: dict[str, np.ndarray]) -> tuple[float, dict]:
    """Mean pixel difference of two glyphs of a character (over their ink), and the spread
    (std) of the style measures among them, averaged over characters."""
    diffs, spreads = [], {"width": [], "slant": [], "stroke_thickness": []}
    for g in sets.values():
        for i in range(len(g)):
            for j in range(i + 1, len(g)):
                union = (g[i] > 0.1) | (g[j] > 0.1)
                diffs.append(float(np.abs(g[i] - g[j])[union].mean()))
        measured = measure_all(g)
        for key in spreads:
            spreads[key].append(float(np.std(measured[key])))
    return float(np.mean(diffs)), {k: float(np.mean(v)) for k, v in spreads.items()}


def alternates_variation(model, style, chars: str, randomness: float, naive: bool = False) -> tuple[float, dict]:
    if naive:  # what the style's own spread gives: the combined posterior of the drawings
        variants = [draw_glyphs(model, chars, style, randomness, k) for k in range(6)]
    else:
        all_variants = alternate_glyphs(model, style, 6, randomness, 0)
        index = [CHARSET.index(c) for c in chars]
        variants = [ink(v[index]) for v in all_variants]
    sets = {c: np.stack([normalize_glyph(v[i]) for v in variants]) for i, c in enumerate(chars)}
    return variation(sets)


def main(argv=None) -> dict:
    import ots
    import torch
    import uharfbuzz as hb
    from fontTools.ttLib import TTFont

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    p.add_argument("--style-sets", type=int, default=20, help="EMNIST style sets besides the prior and the examples")
    args = p.parse_args(argv)
    model = GlyphVAE.from_pretrained()
    judge_model = judge.load(args.data_dir)
    all_styles = styles(model, args.data_dir, args.style_sets)
    italic = all_styles["italic"]
    threads = torch.get_num_threads()

    # -- time and size --------------------------------------------------------------------
    font_ms = median_ms(lambda: build_font(model, italic, alternates=3, randomness=0.3, seed=1))
    font = build_font(model, italic, alternates=3, randomness=0.3, seed=1)
    svg_ms = {kind: median_ms(lambda kind=kind: write_svg(model, TEXT_100, italic, 0.3, 1, kind=kind))
              for kind in ("outline", "single_line")}
    print_ms = median_ms(lambda: write_print(model, TEXT_100, italic, 0.3, 1))
    print(f"font {font_ms:.0f} ms, svg {svg_ms}, print {print_ms:.0f} ms")

    # -- every font: sanitizer, round trip, calt ----------------------------------------------
    folder = Path(tempfile.mkdtemp())
    checked, passed, calt_ok = 0, 0, 0
    legibility = {"font": [], "page": []}
    outline_scores, chain_scores, line_scores, line_glyphs, line_targets = [], [], [], [], []
    for name, style in all_styles.items():
        for alternates in (1, 3, 5):
            built = build_font(model, style, name=f"Bench {name}", alternates=alternates, randomness=0.3, seed=2)
            ok = True
            for suffix, data in (("ttf", built.ttf), ("woff2", built.woff2)):
                path = folder / f"font.{suffix}"
                path.write_bytes(data)
                ok &= ots.sanitize(str(path), str(folder / f"clean.{suffix}"), capture_output=True).returncode == 0
                again = io.BytesIO()
                TTFont(io.BytesIO(data)).save(again)
                ok &= TTFont(io.BytesIO(again.getvalue())).getGlyphOrder() == TTFont(io.BytesIO(data)).getGlyphOrder()
            checked += 1
            passed += int(ok)
            buffer = hb.Buffer()
            buffer.add_str("llama 1000 book")
            buffer.guess_segment_properties()
            hb.shape(hb.Font(hb.Face(hb.Blob(built.ttf))), buffer)
            ids = [info.codepoint for info in buffer.glyph_infos]
            repeated = [(0, 1), (7, 8), (8, 9), (12, 13)]
            differ = all(ids[a] != ids[b] for a, b in repeated)
            same = all(ids[a] == ids[b] for a, b in repeated)
            calt_ok += int(differ if alternates > 1 else same)
            if alternates == 3:
                glyphs = draw_glyphs(model, CHARSET, style, 0.0, 2, crisp=False)  # the font's glyph 0 of each
                targets = np.arange(len(CHARSET))
                by_font = reading_rates(judge_model, set_with_freetype(built.ttf, CHARSET), targets)
                by_page = reading_rates(judge_model, set_as_the_page(glyphs, CHARSET), targets)
                legibility["font"].append(by_font)
                legibility["page"].append(by_page)
                outline_scores += [outline_fidelity(g, c) for g, c in zip(glyphs, CHARSET)]
                chain_scores += [outline_fidelity(g, c, against="decoder") for g, c in zip(glyphs, CHARSET)]
                for g, c in zip(glyphs, CHARSET):
                    lines = centre_lines(g, c)
                    line_scores.append(centre_line_fidelity(g, c, lines))
                    line_glyphs.append(normalize_glyph(np.uint8(255 * lines.stroked())))
                    line_targets.append(CHARSET.index(c))
        print(f"{name}: fonts checked {checked}, passed {passed}, calt {calt_ok}")
    lines_read = reading_rates(judge_model, np.stack(line_glyphs), np.array(line_targets))

    def mean_rate(kind: str, key: str) -> float:
        return float(np.mean([r[key] for r in legibility[kind]]))

    per_font = np.mean([r["per_char"] for r in legibility["font"]], axis=0)
    per_page = np.mean([r["per_char"] for r in legibility["page"]], axis=0)
    worst = np.argsort(per_font - per_page)[:8]
    worst_text = ", ".join(f"{CHARSET[i]} {per_font[i]:.0%} (page {per_page[i]:.0%})" for i in worst)
    gap_cf = 100 * (mean_rate("page", "casefold") - mean_rate("font", "casefold"))
    gap_mg = 100 * (mean_rate("page", "merged") - mean_rate("font", "merged"))

    # -- tracers -------------------------------------------------------------------------------
    sample = [(g, c) for name in ("prior", "italic", "light") for g, c in
              zip(draw_glyphs(model, CHARSET, all_styles[name], 0.0, 2, crisp=False), CHARSET)]
    tracers = compare_tracers(sample)
    tracer_rows = "\n".join(
        f"| {label} | {np.median(t['ms']):.1f} | {np.median(t['iou']):.3f} | {np.percentile(t['iou'], 5):.3f} | "
        f"{t['points'] / len(sample):.0f} |" for label, t in (("marching squares + quadratic B-splines (ours)", tracers["ours"]),
                                                              ("potrace (the potracer port), cubic Beziers", tracers["potrace"])))

    # -- alternates ----------------------------------------------------------------------------
    chars = "AKGR47BDEHMNS235"  # the characters glyph_vae.glyphs.strokes can draw, letters and digits
    writer = writer_variation(chars)
    rows = [f"| one writer's drawings (synthetic: glyph_vae.glyphs.strokes, 6 of each character) | | {writer[0]:.3f} | "
            f"{writer[1]['width']:.2f} | {writer[1]['slant']:.3f} | {writer[1]['stroke_thickness']:.3f} |"]
    for label, naive in (("the style's own spread (naive)", True), ("one drawing's spread (the font's)", False)):
        for r in (0.0, 0.3, 1.0):
            d, spread = alternates_variation(model, italic, chars, r, naive=naive)
            rows.append(f"| {label} | {r:g} | {d:.3f} | {spread['width']:.2f} | {spread['slant']:.3f} | "
                        f"{spread['stroke_thickness']:.3f} |")

    n_styles = len(all_styles)
    body = f"""## Your hand as a font and as vectors (`python -m bench.font`)

Machine: {machine()}; torch with {threads} threads. Styles: the prior, the five example styles and
{args.style_sets} sets of 5 EMNIST test glyphs of 5 random characters ({n_styles} styles).

**Time and size.** A 62-character font with 3 alternates (the italic example style), median of 5:
**{font_ms / 1000:.2f} s** (target < 3 s); TTF {len(font.ttf) / 1024:.0f} KB, WOFF2 {len(font.woff2) / 1024:.0f} KB,
{font.glyph_count} glyphs. An SVG page of 100 characters, median of 5: outline {svg_ms['outline']:.0f} ms,
single-line {svg_ms['single_line']:.0f} ms (target < 300 ms); the print PNG of it {print_ms:.0f} ms.

**Validity.** {passed} of {checked} fonts ({n_styles} styles x 1, 3 and 5 alternates) pass the OpenType Sanitizer
as TTF and as WOFF2 and round-trip through fontTools. HarfBuzz shaping "llama 1000 book" gives the repeated
letters (ll, 00, 00, oo) different glyphs with 3 or 5 alternates and the same glyph with 1 alternate in
{calt_ok} of {checked}.

**Outline fidelity.** Each traced outline, rasterised back at the decoder's resolution, against the
glyph it was traced from (the decoder's probabilities as the tracer saw them, upscaled and lightly smoothed,
above the outline's level, brought back to the decoder's pixels), {len(outline_scores):,} glyphs: IoU median
**{np.median(outline_scores):.3f}**, 5th percentile **{np.percentile(outline_scores, 5):.3f}** (target >= 0.9). Against the
decoder's own 28x28 pixels above the same level, which also counts the upscaling: median
{np.median(chain_scores):.3f}, 5th percentile {np.percentile(chain_scores, 5):.3f}.

Which tracer: both on the same masks ({len(sample)} glyphs of the prior, italic and light styles), fidelity as above:

| tracer | ms per glyph (median) | IoU median | IoU 5th percentile | control points per glyph |
| --- | --- | --- | --- | --- |
{tracer_rows}

**Single-line fidelity.** The centre lines stroked at the width that covers the glyph (twice the
median distance from the centre line to the edge), against the glyph's ink: IoU median
**{np.median(line_scores):.3f}**, 5th percentile {np.percentile(line_scores, 5):.3f} (target >= 0.75). The judge
reads the stroked centre lines as asked {lines_read['casefold']:.1%} case-folded, {lines_read['merged']:.1%} with
{{0,O,o}} and {{1,I,l}} merged.

**Legibility as a font** (the fonts with 3 alternates, their glyph 0 of each character): set alone with
FreeType at 96 px and cut out, the judge reads **{mean_rate('font', 'casefold'):.1%}** case-folded
({mean_rate('font', 'merged'):.1%} merged); the same glyphs drawn as the PNG page draws them:
**{mean_rate('page', 'casefold'):.1%}** ({mean_rate('page', 'merged'):.1%}). The font is {gap_cf:+.1f} points below the page
case-folded and {gap_mg:+.1f} merged (target: within 2). Characters the font loses most on (font vs page,
case-folded): {worst_text}.

**Alternates** (the italic example style, 6 alternates of {len(chars)} characters): mean pixel difference of
two alternates over their ink, and the spread (std) of the style measures among them, against one writer's
drawings of a character. The font draws alternate k from one drawing's posterior spread at
max(randomness, 0.5) (glyph 0 at the style's mean); the style's own spread, which five drawings make tight,
is shown for comparison.

| alternates drawn from | randomness | pixel difference | width spread (px) | slant spread | stroke spread (px) |
| --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}
"""
    outline_low, line_median = np.percentile(outline_scores, 5), np.median(line_scores)
    write_section("font", body, [
        Headline("a 62-character font with 3 alternates, built", f"{font_ms / 1000:.2f} s", "< 3 s", font_ms < 3000),
        Headline("single-line SVG of a 100-character page", f"{svg_ms['single_line']:.0f} ms", "< 300 ms",
                 svg_ms["single_line"] < 300),
        Headline("fonts passing the OpenType Sanitizer (TTF and WOFF2)", f"{passed} of {checked}", "all",
                 passed == checked),
        Headline("traced outlines against their glyphs, IoU 5th percentile", f"{outline_low:.3f}", ">= 0.9",
                 outline_low >= 0.9),
        Headline("single-line centre lines stroked against the glyph, IoU median", f"{line_median:.3f}", ">= 0.75",
                 line_median >= 0.75),
        Headline("the font read below the page, case-folded", f"{gap_cf:+.1f} points", "within 2 points",
                 gap_cf <= 2)])
    print(body)
    return {"font_ms": font_ms, "svg_ms": svg_ms, "passed": passed, "checked": checked}


if __name__ == "__main__":
    main()

"""All 62 characters in every style the app offers, as the page draws them, and shape checks
that a reader cannot make (it reads l and 1, or 0 and O, alike).

    python -m bench.contact_sheet [--model assets/glyph_vae] [--out docs/contact_sheet.png]

Rows: the average style (the prior's mean), the five example styles of the Write tab (from
their bundled drawings), and two sets of mouse-drawn characters ("AMe" and "Kg7"), all at
randomness 0; and the style slider pushed to each end of its range from the average style.
Shape checks, per character and style:
- l: one stroke, no flag or foot (no row of its ink wider than 1.8x its median row);
- i, j: a dot apart from the stem (two pieces of ink, the smaller above the larger);
- every glyph: one piece of ink for characters drawn in one stroke, and not a blob (no more
  of its box inked than 99% of real test glyphs of the character: `glyph_vae.glyphs.measures.fill_limits`).
Pieces are counted on the glyph as the page inks it at the sheet's size.
Writes the sheet and the "contact_sheet" section of BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from glyph_vae import GlyphVAE
from glyph_vae.models.hub import bundled_path
from glyph_vae.pipelines.layout import glyph_sprite
from glyph_vae.glyphs.measures import fill_limits, ink_fill
from glyph_vae.models.model import CHARSET
from glyph_vae.testing.drawings import render_drawing
from glyph_vae.pipelines.style import draw_glyphs, prior_style, slider_offset, slider_positions
from glyph_vae.pipelines.writing import style_from_drawings

from .report import Headline, machine, write_section

CAP = 40  # px: a glyph's capital height on the sheet
CELL = 64
ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ("narrow", "wide", "light", "bold", "italic")
DRAWN_SETS = ("AMe", "Kg7")
ONE_PIECE = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghklmnopqrstuvwxyz") - set("ij")


def styles(model: GlyphVAE) -> dict:
    """Name -> Style: the average, the examples, the drawn sets, each slider at its ends."""
    out = {"average": prior_style(model.config.latent_dim)}
    for name in EXAMPLES:
        folder = bundled_path("style_examples", name)
        out[name] = style_from_drawings(model, sorted(str(p) for p in folder.glob("*.png")))[0]
    for chars in DRAWN_SETS:
        drawings = [render_drawing(c, 11 + k) for k, c in enumerate(chars)]
        out[f"drawn {chars}"] = style_from_drawings(model, drawings)[0]
    base = out["average"]
    start = slider_positions(base, model.style_axes)
    for k, axis in enumerate(model.style_axes):
        for end in (axis.low, axis.high):
            wanted = list(start)
            wanted[k] = end
            out[f"{axis.label.split(' (')[0].lower()} {end:+g}"] = base.shifted(
                slider_offset(model.style_axes, start, wanted))
    return out


def pieces(ink: np.ndarray, threshold: float = 0.5, smallest: int = 1) -> list[np.ndarray]:
    """The connected pieces of ink (8-connected) of at least `smallest` pixels, largest first,
    each as a boolean mask."""
    labels, n = ndimage.label(ink > threshold, structure=np.ones((3, 3)))
    masks = [labels == k for k in range(1, n + 1)]
    return sorted((m for m in masks if m.sum() >= smallest), key=lambda m: -m.sum())


def shape_checks(char: str, glyph: np.ndarray, blob_fill: float) -> dict[str, bool]:
    """The checks that apply to `char`, each True when the glyph passes. The pieces of ink
    are counted on what the page draws (the glyph inked at the sheet's cap height,
    `glyph_sprite`), where a stroke that the 28x28 probabilities barely join may break;
    `blob_fill` is the ink fill of its 28x28 box that real glyphs of the character stay
    under (measures.fill_limits)."""
    sprite = glyph_sprite(glyph, char, CAP)
    speck = (CAP / 20) ** 2 * 3  # a piece under 3 pixels of a 28x28 glyph is a speck, not a stroke
    parts = pieces(sprite, smallest=int(speck))
    checks = {"not a blob": bool(ink_fill(glyph)[0] <= blob_fill)}
    if char in ONE_PIECE:
        checks["one piece"] = len(parts) == 1
    if char == "l":
        ink = sprite > 0.5
        spans = ink.sum(1)[ink.any(1)]
        checks["no flag or foot"] = len(parts) >= 1 and spans.max() <= 1.8 * np.median(spans)
    if char in "ij":
        checks["a dot apart"] = (len(parts) == 2 and np.flatnonzero(parts[1].any(1)).max()
                                 < np.flatnonzero(parts[0].any(1)).min())
    return checks


def sheet(rows: dict[str, np.ndarray]) -> Image.Image:
    font = ImageFont.load_default()
    label_w = 130
    image = Image.new("L", (label_w + CELL * len(CHARSET), CELL * len(rows)), 255)
    draw = ImageDraw.Draw(image)
    for r, (name, glyphs) in enumerate(rows.items()):
        draw.text((6, r * CELL + CELL // 2 - 6), name, fill=0, font=font)
        for c, (char, glyph) in enumerate(zip(CHARSET, glyphs)):
            sprite = glyph_sprite(glyph, char, CAP)
            tile = Image.fromarray(np.uint8(255 - 255 * np.clip(sprite, 0, 1)))
            x = label_w + c * CELL + (CELL - tile.width) // 2
            y = r * CELL + max(0, (CELL - tile.height) // 2)
            image.paste(tile, (x, y))
    return image


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=None)
    p.add_argument("--out", default=str(ROOT / "docs" / "contact_sheet.png"))
    p.add_argument("--data-dir", default="../shared/data")
    args = p.parse_args(argv)
    model = GlyphVAE.from_pretrained(args.model)
    from train.data import concat, load_npz

    real = concat([load_npz(Path(args.data_dir) / f, "test") for f in ("mnist.npz", "emnist_byclass_test.npz")])
    blob_fill = fill_limits(real.images.astype(np.float32) / 255, real.labels)
    rows = {name: draw_glyphs(model, CHARSET, style, 0.0, 0, crisp=False) for name, style in styles(model).items()}
    sheet(rows).save(args.out)
    failures: dict[str, list[str]] = {}
    counts: dict[str, list[int]] = {}
    for name, glyphs in rows.items():
        for char, glyph in zip(CHARSET, glyphs):
            for check, ok in shape_checks(char, glyph, blob_fill[CHARSET.index(char)]).items():
                key = f"{char}: {check}"
                passed, total = counts.setdefault(key, [0, 0])
                counts[key] = [passed + ok, total + 1]
                if not ok:
                    failures.setdefault(key, []).append(name)
    failing = sorted(failures, key=lambda k: -len(failures[k]))
    lines = "\n".join(f"| {k} | {counts[k][0]} of {counts[k][1]} | {', '.join(failures[k])} |" for k in failing)
    checked = sum(t for _, t in counts.values())
    passed = sum(p for p, _ in counts.values())
    body = f"""## Contact sheet (`python -m bench.contact_sheet`)

Machine: {machine()}. Model: `{args.model or 'assets/glyph_vae'}`. [The sheet](docs/contact_sheet.png): all 62
characters as the page draws them (cap height {CAP} px), randomness 0, in {len(rows)} styles: the average style, the
five example styles, two sets of mouse-drawn characters ({', '.join(DRAWN_SETS)}), and each style slider at either end
of its range from the average style.

Shape checks a reader cannot make (it reads l and 1 alike): {passed} of {checked} pass. Failing ones, worst first:

| character: check | passed | failing in |
| --- | --- | --- |
{lines or '| none | | |'}
"""
    write_section("contact_sheet", body, [Headline("contact sheet's shape checks passed (no target)",
                                                   f"{passed} of {checked}")])
    print(body)
    return {"failures": failures, "counts": counts}


if __name__ == "__main__":
    main()

"""All 62 characters in every style the app offers, as the page draws them (pen strokes), and
shape checks that a reader cannot make (it reads l and 1, or 0 and O, alike).

    python -m bench.contact_sheet [--model assets/glyph_vae] [--out docs/contact_sheet.png]

Rows: the average style (the prior's mean), the five example styles of the Write tab (from
their bundled drawings), and two sets of mouse-drawn characters ("AMe" and "Kg7"), all at
randomness 0; and each style slider pushed to either end of its range from the average style.
Each row is one page that /write returns (the characters between word spaces, capitals 40 px
high), cut into its glyphs. Shape checks, per character and style: the pen-stroke benchmark's
structure checks (`bench.strokes.structure_checks`: one piece of ink, an i's and a j's dot apart
and above, q and g one bowl and a descender, m at the x-height, t's and f's bars across the
stem, k's arm at the x-height, stems at the hand's slant, arches rightward), and an l of one
stroke with no flag or foot (no row of its ink wider than 1.8x its median row).
Writes the sheet and the "contact_sheet" section of BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from glyph_vae import GlyphVAE
from glyph_vae.models.hub import bundled_path
from glyph_vae.models.model import CHARSET
from glyph_vae.testing.drawings import render_drawing
from glyph_vae.pipelines.style import prior_style, slider_offset, slider_positions
from glyph_vae.pipelines.writing import style_from_drawings

from .report import Headline, machine, write_section

CELL = 64
ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ("narrow", "wide", "light", "bold", "italic")
DRAWN_SETS = ("AMe", "Kg7")


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


def l_has_no_flag_or_foot(page, placed) -> bool:
    """An l of one stroke: no row of its ink wider than 1.8x its median row."""
    left, top, right, bottom = placed.box
    ink = (255 - np.asarray(page.image.convert("L"), np.int32)[top:bottom, left:right]) > 128
    spans = ink.sum(1)[ink.any(1)]
    return bool(len(spans) and spans.max() <= 1.8 * np.median(spans))


def glyph_tiles(page) -> list[Image.Image]:
    """Each glyph of a page, cut out at its box."""
    image = page.image.convert("L")
    return [image.crop(placed.box) for placed in page.glyphs]


def sheet(rows: dict[str, list[Image.Image]]) -> Image.Image:
    font = ImageFont.load_default()
    label_w = 130
    image = Image.new("L", (label_w + CELL * len(CHARSET), CELL * len(rows)), 255)
    draw = ImageDraw.Draw(image)
    for r, (name, tiles) in enumerate(rows.items()):
        draw.text((6, r * CELL + CELL // 2 - 6), name, fill=0, font=font)
        for c, tile in enumerate(tiles):
            tile = tile if tile.height <= CELL and tile.width <= CELL else tile.resize(
                (min(CELL, tile.width), min(CELL, tile.height)))
            x = label_w + c * CELL + (CELL - tile.width) // 2
            y = r * CELL + max(0, (CELL - tile.height) // 2)
            image.paste(tile, (x, y))
    return image


def main(argv=None) -> dict:
    from .strokes import SHEET_CAP, sheet_page, structure_checks

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=None)
    p.add_argument("--out", default=str(ROOT / "docs" / "contact_sheet.png"))
    args = p.parse_args(argv)
    model = GlyphVAE.from_pretrained(args.model)
    rows, failures, counts = {}, {}, {}
    for name, style in styles(model).items():
        page = sheet_page(model, style)  # written once, for the sheet and for the checks
        rows[name] = glyph_tiles(page)
        checks = structure_checks(model, style, page)
        for placed in page.glyphs:
            if placed.char == "l":
                checks["l"]["no flag or foot"] = l_has_no_flag_or_foot(page, placed)
        for char, char_checks in checks.items():
            for check, ok in char_checks.items():
                key = f"{char}: {check}"
                passed, total = counts.setdefault(key, [0, 0])
                counts[key] = [passed + ok, total + 1]
                if not ok:
                    failures.setdefault(key, []).append(name)
    sheet(rows).save(args.out)
    failing = sorted(failures, key=lambda k: -len(failures[k]))
    lines = "\n".join(f"| {k} | {counts[k][0]} of {counts[k][1]} | {', '.join(failures[k])} |" for k in failing)
    checked = sum(t for _, t in counts.values())
    passed = sum(p for p, _ in counts.values())
    body = f"""## Contact sheet (`python -m bench.contact_sheet`)

Machine: {machine()}. Model: `{args.model or 'assets/glyph_vae'}`. [The sheet](docs/contact_sheet.png): all 62
characters as /write draws them in pen strokes (capitals {SHEET_CAP} px), randomness 0, in {len(rows)} styles: the
average style, the five example styles, two sets of mouse-drawn characters ({', '.join(DRAWN_SETS)}), and each
style slider at either end of its range from the average style.

Shape checks a reader cannot make (bench.strokes' structure checks, and an l with no flag or foot): {passed} of
{checked} pass ({passed / checked:.1%}; target >= 99%). Failing ones, worst first:

| character: check | passed | failing in |
| --- | --- | --- |
{lines or '| none | | |'}
"""
    write_section("contact_sheet", body, [Headline("contact sheet's structure checks passed (16 styles)",
                                                   f"{passed / checked:.1%} ({passed} of {checked})", ">= 99%",
                                                   bool(passed / checked >= 0.99))])
    print(body)
    return {"failures": failures, "counts": counts}


if __name__ == "__main__":
    main()

"""Glyphs as vectors: traced outlines, centre lines, and SVG pages in the PNG's layout."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from glyph_vae import GlyphVAE
from glyph_vae.pipelines.layout import ink_extent
from glyph_vae.models.model import CHARSET
from glyph_vae.pipelines.style import draw_glyphs, prior_style
from glyph_vae.export.vector import (_signed_area, centre_line_fidelity, flatten, iou, outline, outline_fidelity,
                              rasterize)
from glyph_vae.pipelines.writing import write, write_print, write_svg

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def model():
    return GlyphVAE.from_pretrained()


@pytest.fixture(scope="module")
def glyphs(model):
    return draw_glyphs(model, CHARSET, prior_style(model.config.latent_dim), 1.0, 3, crisp=False)


def segments_cross(polygon: np.ndarray) -> bool:
    """Whether any two non-adjacent edges of a closed polygon intersect."""
    a, b = polygon, np.roll(polygon, -1, axis=0)
    n = len(a)

    def orient(p, q, r):
        return np.sign((q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1]) - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0]))

    for i in range(n):
        j = np.arange(i + 2, n if i else n - 1)
        if not len(j):
            continue
        d1, d2 = orient(a[i], b[i], a[j]), orient(a[i], b[i], b[j])
        d3, d4 = orient(a[j], b[j], a[i]), orient(a[j], b[j], b[i])
        if np.any((d1 * d2 < 0) & (d3 * d4 < 0)):
            return True
    return False


def test_outlines_match_the_glyph_they_were_traced_from(glyphs):
    scores = [outline_fidelity(glyph, char) for glyph, char in zip(glyphs, CHARSET)]
    assert np.median(scores) >= 0.9 and np.percentile(scores, 5) >= 0.85, sorted(scores)[:5]
    # A shifted outline would not pass: the measure sees half a pixel.
    shape = outline(glyphs[10], "A")
    shifted = [c + 6.0 for c in shape.contours]

    top, bottom, left, right = ink_extent(glyphs[10])
    back = rasterize(shifted, right - left, bottom - top, scale=(bottom - top) / shape.height, supersample=8)
    assert iou(back, rasterize(shape.contours, right - left, bottom - top, scale=(bottom - top) / shape.height)) < 0.8


def test_outlines_are_closed_simple_and_oriented_for_the_non_zero_rule(glyphs):
    for glyph, char in zip(glyphs[:20], CHARSET[:20]):
        shape = outline(glyph, char)
        assert shape.contours
        for contour in shape.contours:
            assert not segments_cross(flatten(contour, steps=4)), char
        # The largest contour is outside everything: clockwise on screen (y down).
        largest = max(shape.contours, key=lambda c: abs(_signed_area(c)))
        assert _signed_area(largest) > 0, char
    zero = outline(glyphs[0], "0")  # a ring: its hole runs the other way
    assert len(zero.contours) == 2 and np.sign(_signed_area(zero.contours[0])) != np.sign(_signed_area(zero.contours[1]))


def test_centre_lines_stroked_cover_the_ink(glyphs):
    scores = [centre_line_fidelity(glyph, char) for glyph, char in zip(glyphs, CHARSET)]
    assert np.median(scores) >= 0.75, sorted(scores)[:5]


def test_the_outline_svg_has_one_path_per_glyph_in_the_pngs_layout(model):
    style = prior_style(model.config.latent_dim)
    page, svg = write_svg(model, "Hello world\nagain", style, 0.3, 1, kind="outline")
    assert page.image.size == write(model, "Hello world\nagain", style, 0.3, 1).image.size
    root = ET.fromstring(svg)
    assert root.get("viewBox") == f"0 0 {page.image.width} {page.image.height}"
    # millimetres: a 1000 px line is 210 mm wide (A4), as the print PNG at 300 dpi
    assert root.get("width") == f"{page.image.width * 0.21:.2f}mm"
    assert root.get("height") == f"{page.image.height * 0.21:.2f}mm"
    groups = root.findall(f".//{SVG}g[@class='line']")
    paths = root.findall(f".//{SVG}path")
    assert len(groups) == 2 and len(paths) == len("Helloworldagain") == len(page.glyphs)
    assert [p.get("data-char") for p in paths] == list("Helloworldagain")
    assert all(p.get("d").count("Z") >= 1 for p in paths)  # filled, closed shapes
    assert root.find(f"{SVG}g").get("fill") not in (None, "none")


def subpaths(d: str) -> list[str]:
    import re

    return [part for part in re.split(r"(?=M)", d) if part]


def test_the_single_line_svg_is_one_open_subpath_per_pen_down(model):
    page, svg = write_svg(model, "Plot mij", prior_style(model.config.latent_dim), 0.3, 1, kind="single_line")
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}rect") is None  # no background: a plotter would draw its edge
    assert root.get("width").endswith("mm") and root.get("height").endswith("mm")
    paths = root.findall(f".//{SVG}path")
    assert [p.get("data-char") for p in paths] == list("Plotmij")
    outer = root.find(f"{SVG}g")
    assert outer.get("fill") == "none" and outer.get("stroke-linecap") == "round"
    assert float(outer.get("stroke-width")) > 0
    for path, glyph in zip(paths, page.sources):
        assert path.get("fill") in (None, "none") and "Z" not in path.get("d")
        assert len(subpaths(path.get("d"))) == len(glyph.strokes)  # one subpath per pen-down
    pen_downs = {p.get("data-char"): len(subpaths(p.get("d"))) for p in paths}
    assert pen_downs["i"] == 2 and pen_downs["j"] == 2  # a stem and a dot
    assert pen_downs["o"] == 1 and pen_downs["l"] == 1


def test_the_print_png_is_the_page_drawn_from_its_strokes(model):
    style = prior_style(model.config.latent_dim)
    page = write(model, "Sharp", style, 0.0, 2)
    printed = write_print(model, "Sharp", style, 0.0, 2)
    assert printed.info["dpi"] == (300, 300)
    assert printed.size == (round(page.image.width * 2.48), round(page.image.height * 2.48))
    small = np.asarray(printed.convert("L").resize(page.image.size)) < 128
    assert iou(small.astype(float), (np.asarray(page.image.convert("L")) < 128).astype(float)) > 0.8


def test_svg_kind_and_text_are_checked(model):
    from glyph_vae.errors import UserInputError

    with pytest.raises(UserInputError, match="kind of SVG must be one of outline, single_line, not 'fill'"):
        write_svg(model, "a", prior_style(model.config.latent_dim), kind="fill")

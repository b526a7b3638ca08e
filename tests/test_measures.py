"""Style measures (glyph_vae/glyphs/measures.py) on glyphs whose true width, stroke and slant are known,
and the style-transfer benchmark's pieces that rest on them (bench/style_transfer.py, bench/write_like_me.py)."""
from __future__ import annotations


import numpy as np
import pytest

from glyph_vae.glyphs.measures import measure_all, slant, stroke_thickness, width

SUB = 8  # sub-samples per pixel side when rasterising a shape


def render(inside) -> np.ndarray:
    """Anti-aliased 28x28 glyph of a shape given as inside(x, y) -> bool on pixel coordinates
    centred on the field (x right, y up), each pixel the share of it the shape covers."""
    fine = (np.arange(28 * SUB) + 0.5) / SUB - 14.0
    x, y = np.meshgrid(fine, -fine)
    return inside(x, y).astype(np.float32).reshape(28, SUB, 28, SUB).mean((1, 3))


def bar(w: float, h: float, angle: float = 0.0, dx: float = 0.0):
    c, s = np.cos(angle), np.sin(angle)

    def inside(x, y):
        u, v = c * (x - dx) + s * y, -s * (x - dx) + c * y
        return (np.abs(u) <= w / 2) & (np.abs(v) <= h / 2)

    return inside


def letter_h(stroke: float, shear: float = 0.0, dx: float = 0.0):
    """An H, 12 wide and 18 tall, with strokes `stroke` wide; x' = x + shear * y slants it."""

    def inside(x, y):
        x = x - dx - shear * y  # the upright point that lands here
        tall = np.abs(y) <= 9
        left = tall & (np.abs(x + 6 - stroke / 2) <= stroke / 2)
        right = tall & (np.abs(x - 6 + stroke / 2) <= stroke / 2)
        middle = (np.abs(y) <= stroke / 2) & (np.abs(x) <= 6)
        return left | right | middle

    return inside


def ring(radius: float, stroke: float):
    return lambda x, y: np.abs(np.hypot(x, y) - radius) <= stroke / 2


def test_twice_as_wide_bar_measures_twice_the_width():
    narrow, wide = render(bar(5, 16)), render(bar(10, 16))
    w = width(np.stack([narrow, wide]))
    assert w[0] == pytest.approx(5, abs=0.3)
    assert w[1] / w[0] == pytest.approx(2.0, rel=0.05)
    m = measure_all(np.stack([narrow, wide]))
    assert m["height"] == pytest.approx([16, 16], abs=0.5)  # widening leaves the height alone


def test_stroke_thickness_of_bars_is_their_width_whichever_way_they_run():
    # A 2-px stroke at 45 degrees is where pixels blur its outline most (it reads ~2.4).
    for w, tolerance in ((2.0, 0.2), (3.0, 0.1), (4.0, 0.1)):
        glyphs = np.stack([render(bar(w, 16, angle)) for angle in (0.0, 0.4, np.pi / 4, 1.2, np.pi / 2)])
        assert stroke_thickness(glyphs) == pytest.approx(np.full(5, w), rel=tolerance), w


def test_thicker_strokes_measure_thicker():
    thin, thick = render(letter_h(2)), render(letter_h(4))
    t = stroke_thickness(np.stack([thin, thick]))
    assert t[0] == pytest.approx(2, rel=0.15)
    assert t[1] == pytest.approx(4, rel=0.15)
    # Grey dilation with a 3x3 square adds a pixel each side across straight strokes and up to
    # 1.4 across diagonal ones (the square's corners), on a letter and on a ring.
    for glyph, low, high in ((thin, 1.7, 2.5), (render(ring(7, 2)), 2.0, 3.3)):
        padded = np.pad(glyph, 1)
        dilated = np.max([padded[i:i + 28, j:j + 28] for i in range(3) for j in range(3)], axis=0)
        before, after = stroke_thickness(np.stack([glyph, dilated]))
        assert low < after - before < high


def test_shear_measures_as_slant_with_its_sign():
    upright = render(letter_h(2.5))
    italic = render(letter_h(2.5, shear=0.35))
    backward = render(letter_h(2.5, shear=-0.35))
    s = slant(np.stack([upright, italic, backward]))
    assert s[0] == pytest.approx(0, abs=0.02)
    assert s[1] - s[0] == pytest.approx(0.35, abs=0.03)
    assert s[2] - s[0] == pytest.approx(-0.35, abs=0.03)
    # A bar leaning right (top to the right): positive.
    assert slant(render(bar(2.5, 18, angle=-0.3)))[0] > 0.2


def test_measures_do_not_move_with_the_glyph_or_its_contrast():
    base = render(letter_h(3))
    shifted = render(letter_h(3, dx=2.5))  # half a pixel off the grid as well
    faint = 0.5 * base
    m = measure_all(np.stack([base, shifted, faint]))
    for name in ("width", "height", "stroke_thickness"):
        assert m[name][1] == pytest.approx(m[name][0], rel=0.03), name
        assert m[name][2] == pytest.approx(m[name][0], rel=1e-6), name
    assert m["slant"][1] == pytest.approx(m["slant"][0], abs=0.01)
    # A whole-pixel shift changes nothing at all.
    rolled = np.roll(base, 3, axis=1)
    assert stroke_thickness(rolled)[0] == pytest.approx(stroke_thickness(base)[0], rel=1e-9)


def test_blank_and_single_glyphs():
    m = measure_all(np.zeros((2, 28, 28)))
    for values in m.values():
        assert values.shape == (2,) and np.all(values == 0)
    one = measure_all(render(bar(4, 10)))
    assert all(v.shape == (1,) and np.isfinite(v).all() for v in one.values())


# -- the benchmark's prompt styles, measured ------------------------------------------
def _raw_letters() -> np.ndarray:
    """Two raw uint8 test-like images: an H and a ring, drawn about 20 px tall."""
    return np.stack([np.round(render(letter_h(2.5)) * 255), np.round(render(ring(8, 2.5)) * 255)]).astype(np.uint8)


def test_prompt_styles_move_their_measure_the_right_way():
    from bench.style_transfer import STYLE_MEASURE, styled_prompts

    raw = _raw_letters()
    neutral = measure_all(styled_prompts(raw, "neutral"))
    for style, measure in STYLE_MEASURE.items():
        change = measure_all(styled_prompts(raw, style))[measure] - neutral[measure]
        assert np.all(change < 0) if style in ("narrow", "light") else np.all(change > 0), (style, change)
    italic = measure_all(styled_prompts(raw, "italic"))["slant"] - neutral["slant"]
    assert italic == pytest.approx([0.35, 0.35], abs=0.04)  # the normalisation scales evenly, so shear survives


def test_transfer_ratio_and_frechet_distance():
    from bench.style_transfer import relative_ratios, summarise_ratios, transfer_ratios
    from bench.write_like_me import frechet_distance

    assert transfer_ratios([2.0, -1.0, 0.0], [1.0, -1.0, 3.0]) == pytest.approx([0.5, 1.0, np.nan], nan_ok=True)
    assert summarise_ratios(np.array([2.0, 2.0]), np.array([1.0, 2.0]))["pooled"] == pytest.approx(0.75)
    # Prompts 10 -> 6 px, generated 8 -> 4.8 px: 0.8 of the change in pixels, all of it in proportion.
    assert transfer_ratios([6.0 - 10.0], [4.8 - 8.0]) == pytest.approx([0.8])
    assert relative_ratios([10.0], [6.0], [8.0], [4.8]) == pytest.approx([1.0])

    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 3))
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-6)
    # Two Gaussians with the same covariance: the distance is the squared distance of the means.
    assert frechet_distance(a, a + [3.0, 0, 0]) == pytest.approx(9.0, rel=1e-6)
    # N(0, I) against N(0, 4I) in 3-d: 3 * (1 + 4 - 2 * 2) = 3.
    assert frechet_distance(a, 2 * a) == pytest.approx(3.0, rel=0.1)


def test_ink_fill_is_the_inked_share_of_the_ink_box():
    from glyph_vae.glyphs.measures import ink_fill

    square = render(bar(10, 10))  # fills its own box
    h = render(letter_h(2.0))
    blank = np.zeros((28, 28), np.float32)
    fill = ink_fill(np.stack([square, h, blank]))
    assert fill[0] == pytest.approx(1.0) and 0.25 < fill[1] < 0.5 and fill[2] == 1.0
    thick = ink_fill(render(letter_h(5.0))[None])[0]
    assert thick > fill[1]  # heavier strokes fill more of the same box


def test_fill_limits_are_per_class_quantiles_of_real_glyphs():
    from glyph_vae.glyphs.measures import fill_limits, ink_fill

    thin = [render(letter_h(s)) for s in (1.5, 2.0, 2.5)]
    rings = [render(ring(8, s)) for s in (2.0, 3.0, 4.0)]
    glyphs, labels = np.stack(thin + rings), np.array([17] * 3 + [0] * 3)
    limits = fill_limits(glyphs, labels, quantile=1.0)
    fill = ink_fill(glyphs)
    assert limits.shape == (62,) and limits[17] == pytest.approx(fill[:3].max())
    assert limits[0] == pytest.approx(fill[3:].max()) and limits[5] == 1.0  # no glyphs of 5: never a blob

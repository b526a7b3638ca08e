"""A writer's proportions, measured on the ruled pads: small letters against capitals, ascenders,
descenders; carried by the style into the page and the font, kept by style files."""
from __future__ import annotations

import io
import json
from dataclasses import replace

import numpy as np
import pytest
from fontTools.ttLib import TTFont

from glyph_vae.errors import StyleFileError
from glyph_vae.export.font import CAP_UNITS, build_font
from glyph_vae.pipelines.layout import metrics
from glyph_vae.glyphs.proportions import TYPICAL, Proportions, blend, measured_proportions
from glyph_vae.pipelines.ruled import GUIDES
from glyph_vae.testing.ruled_drawings import ruled_strokes
from glyph_vae.glyphs.strokes import render_strokes
from glyph_vae.pipelines.style import mix_styles
from glyph_vae.pipelines.style_file import style_document, style_from_file, style_to_file
from glyph_vae.pipelines.writing import style_from_drawings, write

CANVAS = 300
CHARACTERS = "AHahgy"


@pytest.fixture(scope="module")
def model(models):
    return models.glyph_vae.model


def hand(small: float, capitals: float = 1.0, seed: int = 3) -> list:
    """Ruled drawings of CHARACTERS: capitals and digits at `capitals` times the guides, the lower
    case at `small` times them (a writer whose small letters are small or large)."""
    rng = np.random.default_rng(seed)
    out = []
    for char in CHARACTERS:
        size = capitals if char.isupper() else small
        strokes = ruled_strokes(char, rng, CANVAS, size=size, miss=0.0, aspect=0.7, slant=0.1)
        out.append(render_strokes(strokes, CANVAS, 10))
    return out


def style_of(model, drawings):
    return style_from_drawings(model, drawings, ruled=[True] * len(drawings), characters=list(CHARACTERS))[0]


def test_a_typical_hand_keeps_the_page_as_it_was():
    table = {**{c: (1.0, 0.0) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
             **{c: (0.62, 0.0) for c in "acemnorsuvwxz"}, **{c: (1.02, 0.0) for c in "bdfhkl"},
             "t": (0.86, 0.0), "i": (0.9, 0.0), "j": (0.9, -0.36), **{c: (0.62, -0.36) for c in "gpqy"}}
    for char, (top, bottom) in table.items():
        assert metrics(char) == pytest.approx((top, bottom)), char
        assert metrics(char, TYPICAL) == metrics(char)


def test_proportions_are_measured_against_the_writers_capitals():
    # (character, top, bottom) in the paper's x-heights: capitals to 1.8, small letters to 0.9,
    # ascenders to 1.9, descenders to -0.9 (the guides: capitals 2, x-height 1, descender -0.75).
    drawn = [("A", 1.8, 0.0), ("H", 1.8, 0.0), ("a", 0.9, 0.0), ("e", 0.9, 0.0), ("h", 1.9, 0.0),
             ("g", 0.92, -0.9), ("y", 0.88, -0.9)]
    p = measured_proportions(drawn)
    assert p.x_height == pytest.approx(0.9 / 1.8)  # g and y's tops are not counted: only a, c, e ...
    assert p.ascender == pytest.approx(1.9 / 1.8)
    assert p.descender == pytest.approx(-0.9 / 1.8)
    # Without capitals the pad's capital line is the reference; what is not shown stays typical.
    p = measured_proportions([("a", 1.1, 0.0)])
    assert p.x_height == pytest.approx(0.55) and p.ascender == TYPICAL.ascender
    assert p.descender == TYPICAL.descender
    # Capitals and digits alone say nothing of the small letters.
    assert measured_proportions([("A", 2.0, 0.0), ("7", 2.0, 0.0)]) is None
    # A misdrawn pad is clipped to what a hand may have.
    assert measured_proportions([("A", 1.0, 0.0), ("a", 1.0, 0.0), ("g", 1.0, -3.0)]) == Proportions(0.85, 1.02, -0.65)


def test_small_and_large_small_letters_give_the_style_and_its_page_their_proportions(model):
    small, large = style_of(model, hand(0.75)), style_of(model, hand(1.15))
    assert small.proportions is not None and large.proportions is not None
    assert small.proportions.x_height < 0.5 < large.proportions.x_height
    assert small.proportions.descender > large.proportions.descender  # shallower descenders
    for style in (small, large):
        page = write(model, "Hand hang", style, seed=1)
        box = {g.char: g.box for g in page.glyphs}
        cap = box["H"][3] - box["H"][1]
        x = box["a"][3] - box["a"][1]
        # the page's small letters stand at the measured height against its capitals (pens' width aside)
        assert x / cap == pytest.approx(style.proportions.x_height, abs=0.06)
        below = box["g"][3] - page.glyphs[0].baseline
        assert below / cap == pytest.approx(-style.proportions.descender, abs=0.06)
    # drawings not on the lines measure no heights (the hand's width they show anyway)
    unruled = style_from_drawings(model, hand(0.75), characters=list(CHARACTERS))[0]
    assert unruled.proportions is None or unruled.proportions.vertical_typical


def test_the_font_takes_the_hands_x_height(model):
    small = style_of(model, hand(0.75))
    font = TTFont(io.BytesIO(build_font(model, small, alternates=1).ttf))
    assert font["OS/2"].sxHeight == round(small.proportions.x_height * CAP_UNITS)
    x_glyph = font["glyf"][font.getBestCmap()[ord("x")]]
    assert x_glyph.yMax == pytest.approx(small.proportions.x_height * CAP_UNITS, abs=0.06 * CAP_UNITS)


def test_style_files_keep_the_proportions_and_older_files_still_load(model):
    style = style_of(model, hand(0.8))
    loaded = style_from_file(style_to_file(style, model), model).style
    assert loaded.proportions == style.proportions  # exactly: the same page, pixel for pixel
    assert write(model, "hag", loaded, seed=2).image.tobytes() == write(model, "hag", style, seed=2).image.tobytes()
    document = style_document(style, model)
    older = {k: v for k, v in document.items() if k != "proportions"} | {"version": 1}
    assert style_from_file(older, model).style.proportions is None
    heights = {k: v for k, v in document["proportions"].items() if k != "width"}
    before_width = document | {"version": 2, "proportions": heights}  # a file from before the hand's width
    assert style_from_file(before_width, model).style.proportions == Proportions(**heights, width=1.0)
    for bad, says in (({"x_height": 3.0, "ascender": 1.0, "descender": -0.4, "width": 1.0}, "x_height 3.0"),
                      (heights | {"width": 5.0}, "width 5.0"), (heights, "lacks 'width'"),
                      ({"x_height": 0.6}, "lacks"), ("tall", "object or null")):
        with pytest.raises(StyleFileError, match=says):
            style_from_file(json.dumps(document | {"proportions": bad}), model)
    with pytest.raises(StyleFileError, match="lacks 'proportions'"):
        style_from_file({k: v for k, v in document.items() if k != "proportions"}, model)


def test_a_mix_lies_between_the_two_hands(model):
    a, b = style_of(model, hand(0.75)), style_of(model, hand(1.15))
    half = mix_styles(a, b, 0.5).proportions
    assert a.proportions.x_height < half.x_height < b.proportions.x_height
    assert mix_styles(a, b, 0.0).proportions == a.proportions
    assert blend(None, None, 0.5) is None and blend(None, b.proportions, 1.0) == b.proportions


def test_the_guides_are_where_the_proportions_assume():
    # measured_proportions takes the pad's capital line as 2 x-heights above the baseline
    assert (GUIDES["base"] - GUIDES["cap"]) / (GUIDES["base"] - GUIDES["x"]) == pytest.approx(2.0)


# -- the hand's width, from any drawing ----------------------------------------------------------------

def resized(ink: np.ndarray, factor: float) -> np.ndarray:
    """An ink image (white on black) made `factor` times as wide."""
    from PIL import Image

    image = Image.fromarray(ink)
    return np.asarray(image.resize((max(1, round(image.width * factor)), image.height), Image.LANCZOS))


def test_the_hands_width_is_measured_and_the_page_follows_it(model):
    """The model's own letters in a style, stretched or squeezed, as a writer's drawings: the
    measured width is the stretch, kept within WIDTH_RANGE; the page follows the width."""
    from glyph_vae.glyphs.preprocess import normalize_glyph
    from glyph_vae.glyphs.proportions import WIDTH_RANGE, with_width
    from glyph_vae.models.model import CHARSET
    from glyph_vae.pipelines.stroke_glyphs import MEASURED_CAP, draw_stroke_glyphs, measured_width
    from glyph_vae.pipelines.style import prior_style

    style = prior_style(model.config.latent_dim)
    chars = "AHMOWabdgo"
    sprites = [np.uint8(255 * g.sprite(MEASURED_CAP)) for g in draw_stroke_glyphs(model, chars, style)]
    classes = [CHARSET.index(c) for c in chars]
    for factor in (0.8, 1.0, 1.25):
        drawn = np.stack([normalize_glyph(resized(sprite, factor)) for sprite in sprites])
        assert measured_width(model, drawn, classes, style) == pytest.approx(factor, rel=0.06)
    assert with_width(None, 0.8).width == WIDTH_RANGE[0] and with_width(None, 3.0).width == WIDTH_RANGE[1]
    assert with_width(None, 1.0) is None  # a typical hand

    def widths(style):
        page = write(model, "HAMOW", style, seed=1)
        return np.array([g.box[2] - g.box[0] for g in page.glyphs], float)

    wide = replace(style, proportions=with_width(None, 1.3))
    assert np.median(widths(wide) / widths(style)) == pytest.approx(1.3, abs=0.05)
    assert "20% narrower than the model draws them" in Proportions(width=0.8).describe()
    assert not Proportions(width=0.97).worth_saying and Proportions(width=1.2).worth_saying


def replace_width(style, width):
    from dataclasses import replace

    return replace(style, proportions=replace(style.proportions, width=width))


def test_the_models_own_letters_measure_as_its_width(model):
    """measured_width of the stroke glyphs the model draws in a style, as drawings, is 1."""
    from glyph_vae.glyphs.preprocess import normalize_glyph
    from glyph_vae.models.model import CHARSET
    from glyph_vae.pipelines.stroke_glyphs import MEASURED_CAP, draw_stroke_glyphs, measured_width
    from glyph_vae.pipelines.style import prior_style

    style = prior_style(model.config.latent_dim)
    chars = "AHMOWabdgo"
    own = np.stack([normalize_glyph(np.uint8(255 * g.sprite(MEASURED_CAP)))
                    for g in draw_stroke_glyphs(model, chars, style)])
    assert measured_width(model, own, [CHARSET.index(c) for c in chars], style) == pytest.approx(1.0, abs=1e-6)
    assert measured_width(model, own[:0], [], style) == 1.0  # no drawings: as the model draws

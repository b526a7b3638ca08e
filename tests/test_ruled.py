"""Reading on the lines, in-process: the ink's geometry against the guides, the stray-mark rule,
the bundled reader of ruled drawings, and a misread style drawing corrected."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from glyph_vae import CHARSET, GlyphVAE
from glyph_vae.errors import BlankDrawingError, UnsupportedCharactersError
from glyph_vae.glyphs.preprocess import ink_map
from glyph_vae.pipelines.ruled import GUIDES, TooSmallToReadError, expected_calibration_error, measure, read_ruled
from glyph_vae.testing.ruled_drawings import TEST_SEED, ruled_strokes
from glyph_vae.glyphs.strokes import render_strokes
from glyph_vae.pipelines.style_file import style_from_file, style_to_file
from glyph_vae.pipelines.writing import style_from_drawings


@pytest.fixture(scope="module")
def model():
    return GlyphVAE.from_pretrained()


def on_lines(char: str, seed: int = 1, canvas: int = 400, brush: float = 24, **shape) -> Image.Image:
    """`char` written neatly on the guides (size 1, on the baseline) unless `shape` says otherwise."""
    shape = {"size": 1.0, "miss": 0.0, "slant": 0.1, **shape}
    return render_strokes(ruled_strokes(char, np.random.default_rng(seed), canvas, **shape), canvas, brush)


def dot(canvas: int = 400, r: float = 12) -> Image.Image:
    image = Image.new("RGB", (canvas, canvas), "white")
    ImageDraw.Draw(image).ellipse((200 - r, 220 - r, 200 + r, 220 + r), fill="black")
    return image


def test_geometry_is_measured_in_x_heights_from_the_baseline():
    small_o = measure(ink_map(on_lines("o")))
    capital_o = measure(ink_map(on_lines("O")))
    g = measure(ink_map(on_lines("g")))
    pen = 12 / (0.24 * 400)  # the pen's radius (12 px) in x-heights: the ink reaches past the skeleton
    # a small o stands on the baseline and reaches the x-height line
    assert small_o.bottom == pytest.approx(-pen, abs=0.1) and small_o.top == pytest.approx(1 + pen, abs=0.1)
    assert capital_o.top == pytest.approx(2 + pen, abs=0.1) and capital_o.height == pytest.approx(2 + 2 * pen, abs=0.15)
    # a g hangs below the baseline to the descender line, 0.75 x-heights down
    assert g.bottom == pytest.approx(-0.75 - pen, abs=0.1) and g.below_base > 0.25 and small_o.below_base < 0.03
    assert capital_o.above_x > 0.3 and small_o.above_x < 0.03


def test_the_same_drawing_measures_the_same_at_any_canvas_size():
    a = measure(ink_map(on_lines("p", canvas=400, brush=24))).vector()
    b = measure(ink_map(on_lines("p", canvas=200, brush=12))).vector()
    assert np.allclose(a, b, atol=0.08)


def test_a_dot_or_a_tiny_scribble_is_too_small_to_read_and_a_small_letter_is_not(model):
    with pytest.raises(TooSmallToReadError, match="Too small to read"):
        read_ruled(model, dot())
    with pytest.raises(TooSmallToReadError):
        read_ruled(model, on_lines("s", size=0.3, brush=8))  # a scribble a third of the x-height
    with pytest.raises(BlankDrawingError):
        read_ruled(model, Image.new("RGB", (400, 400), "white"))
    assert read_ruled(model, on_lines("o", size=0.85)).geometry.height < 1.2  # small, but read


def test_the_guides_the_pad_draws_are_the_ones_the_reader_measures_against():
    from glyph_vae.ui.pad import drawing_pad

    pad = drawing_pad(label="x", canvas=400, brush=14, elem_id="p", ruled=True)
    assert [g["percent"] for g in pad.props["ruled"]] == [22.0, 46.0, 70.0, 88.0]
    assert list(GUIDES.values()) == [0.22, 0.46, 0.70, 0.88]
    assert drawing_pad(label="x", canvas=400, brush=14, elem_id="q").props["ruled"] == []


@pytest.mark.parametrize("char, expected", [("o", "o"), ("O", "O0"), ("c", "c"), ("C", "C"), ("p", "p"),
                                            ("P", "P"), ("g", "g"), ("9", "9"), ("s", "s"), ("S", "S")])
def test_size_and_place_on_the_lines_tell_the_case_and_the_descenders(model, char, expected):
    assert read_ruled(model, on_lines(char, seed=5)).character in expected


def test_the_shape_reader_alone_cannot_tell_a_small_o_from_a_capital():
    """The reason for all of this: cropped and scaled, a small o and a capital O are the same glyph."""
    from glyph_vae.glyphs.preprocess import normalize_glyph

    small = on_lines("o", seed=5, aspect=0.7 / 1.1, brush=12)  # a small letter's width is 1.1x the x-height's
    capital = on_lines("O", seed=5, aspect=0.7, brush=24)  # twice as big, the pen too
    assert np.abs(normalize_glyph(small) - normalize_glyph(capital)).mean() < 0.01


def test_the_bundled_reader_of_ruled_drawings_loads_with_its_model_and_refuses_another_reader(model, tmp_path):
    import shutil

    from glyph_vae.models.hub import bundled_path

    from glyph_vae.models.ruled_reader import NUM_CLASSES

    assert model.ruled is not None and not model.load_warnings
    assert NUM_CLASSES == len(CHARSET) == model.ruled.geometry[-1].out_features  # a score per character
    folder = tmp_path / "model"
    shutil.copytree(bundled_path("glyph_vae"), folder)
    other = GlyphVAE.from_pretrained(folder)
    with __import__("torch").no_grad():
        other.class_head[-1].bias.add_(0.1)  # another reader than the one it was fitted to
    other.save_pretrained(folder)
    reloaded = GlyphVAE.from_pretrained(folder)
    assert reloaded.ruled is None and any("another shape reader" in w for w in reloaded.load_warnings)
    (folder / "ruled.safetensors").unlink()
    assert any("no ruled.safetensors" in w for w in GlyphVAE.from_pretrained(folder).load_warnings)


def test_expected_calibration_error():
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    assert expected_calibration_error(probs, np.array([0, 0, 0, 1])) == pytest.approx(0.5 * 0.1 + 0.5 * 0.1)
    assert expected_calibration_error(np.array([[1.0, 0.0]]), np.array([0])) == 0


def test_training_refuses_the_test_seed():
    from train.ruled import drawings

    with pytest.raises(SystemExit, match="test set"):
        drawings(1, TEST_SEED)


def test_a_corrected_drawing_enters_the_style_as_the_character_it_is_and_the_style_file_keeps_it(model):
    g = on_lines("g", seed=2)
    read_style, readings = style_from_drawings(model, [g], ruled=[True])
    said_style, said = style_from_drawings(model, [g], ruled=[True], characters=["q"])
    assert read_style.characters == readings[0].character and said_style.characters == "q"
    assert said[0].character == readings[0].character  # what was read is still shown as read
    # the posterior over the style is conditioned on the character it is
    assert not np.allclose(read_style.mean, said_style.mean)
    loaded = style_from_file(style_to_file(said_style, model), model)
    assert loaded.info.characters == "q"
    with pytest.raises(UnsupportedCharactersError):
        style_from_drawings(model, [g], characters=["%"])

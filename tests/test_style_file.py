"""Style files in-process: the round trip (same PNG, byte for byte), mixing and its end points,
morphs, every malformed file refused, the model check, the shipped example files, and the
Write tab's "Your style" handlers (a refused file leaves the tab's style as it was)."""
from __future__ import annotations

import copy
import io
import itertools
import json

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from bench.style_transfer import STYLE_MEASURE
from glyph_vae.errors import SettingError, StyleFileError, StyleModelError
from glyph_vae.models.hub import bundled_path
from glyph_vae.glyphs.measures import measure_all
from glyph_vae.models.model import CHARSET
from glyph_vae.glyphs.render import page_gif
from glyph_vae.testing.drawings import STYLE_EXAMPLES
from glyph_vae.pipelines.style import draw_glyphs, mix_styles, slider_positions
from glyph_vae.pipelines.style_file import (MAX_STYLE_FILE_BYTES, parse_style_file, style_document, style_from_file,
                                  style_to_file)
from glyph_vae.pipelines.writing import morph, style_from_drawings, write
from glyph_vae.ui.styles import NewStyle, example_style_file
from glyph_vae.ui.write_tab import WriteTab
from harness.uploads import uploaded

EXAMPLES = tuple(STYLE_EXAMPLES)


@pytest.fixture(scope="module")
def model(models):
    return models.glyph_vae.model


@pytest.fixture(scope="module")
def styles(model):
    """The example styles read from their drawings, by name."""
    return {name: style_from_drawings(model, [str(bundled_path("style_examples", name, f"{c}.png"))
                                              for c in "AGK47"])[0] for name in EXAMPLES}


@pytest.fixture(scope="module")
def write_tab(model, tmp_path_factory):
    from glyph_vae.serving import OutputFiles

    return WriteTab(model, OutputFiles(tmp_path_factory.mktemp("styles")))


@pytest.fixture(scope="module")
def tab(write_tab):
    """The Write tab's "Your style" handlers (glyph_vae.ui.styles.StyleFiles)."""
    return write_tab.style_files


def png(model, style, text="Hello world", randomness=0.4, seed=5) -> bytes:
    buffer = io.BytesIO()
    write(model, text, style, randomness, seed).image.save(buffer, format="PNG")
    return buffer.getvalue()


def same_style(a, b) -> bool:
    return (np.array_equal(a.mean, b.mean) and np.array_equal(a.std, b.std) and a.count == b.count
            and np.array_equal(a.hand_variation, b.hand_variation) and a.proportions == b.proportions)


# -- the round trip ---------------------------------------------------------------------------

def test_a_saved_style_loads_back_exactly_and_writes_the_same_png(model, styles):
    style = styles["italic"]
    data = style_to_file(style, model, offsets={"slant": 0.55, "width": -0.3}, name="My italic")
    assert data == style_to_file(style, model, offsets={"slant": 0.55, "width": -0.3}, name="My italic")
    assert len(data) < 8_000  # a 64-d style is a small file
    loaded = style_from_file(data, model)
    assert same_style(loaded.style, style) and loaded.style.characters == "AGK47"
    assert loaded.offsets == {"width": -0.3, "stroke_thickness": 0.0, "slant": 0.55, "height": 0.0}
    assert loaded.info.name == "My italic" and loaded.warnings == []
    assert png(model, loaded.style) == png(model, style)
    document = json.loads(data)
    assert document["format"] == "glyphvae-style" and document["version"] == 3
    assert document["model"] == model.identity() and document["posterior"]["count"] == 5
    assert len(document["posterior"]["mean"]) == len(document["posterior"]["logvar"]) == 64


def test_the_tab_saves_its_style_and_sliders_and_a_load_gives_the_same_page(tab, write_tab, styles):
    style = styles["bold"]
    sliders = write_tab.sliders.positions(style)
    sliders[2] = round(sliders[2] + 0.5, 2)  # the user moved the slant (sliders stand on hundredths)
    before = write_tab.write_ui(style, "Save me", 0.3, 11, 1000, 48, *sliders)
    path = tab.save_ui(style, "Bold and slanted", *sliders)
    assert path.endswith("Bold-and-slanted.json")
    new = tab.load_ui(uploaded(path))
    assert same_style(new.style, style) and "Bold and slanted" in new.note
    shown = write_tab.taken(new)  # as the tab shows it (WriteControls.put empties the pads and uploads)
    assert shown.style is new.style and shown.reads == ["*empty*"] * len(shown.reads)  # no drawing makes it
    restored = [setting.value for setting in shown.sliders]
    assert restored == sliders
    loaded = shown.style
    after = write_tab.write_ui(loaded, "Save me", 0.3, 11, 1000, 48, *restored)
    assert open(after, "rb").read() == open(before, "rb").read()
    # /write_with_style draws the same page from the file
    api = tab.write_with_style({"path": uploaded(path)}, "Save me", 0.3, 11)
    assert open(api["path"], "rb").read() == open(before, "rb").read()


# -- mixing ------------------------------------------------------------------------------------

def test_mixing_weight_0_and_1_give_the_two_styles_back(model, styles):
    a, b = styles["narrow"], styles["bold"]
    assert same_style(mix_styles(a, b, 0), a) and same_style(mix_styles(a, b, 1), b)
    assert mix_styles(a, b, 0).characters == a.characters
    assert png(model, mix_styles(a, b, 0)) == png(model, a)
    assert png(model, mix_styles(a, b, 1)) == png(model, b)


@pytest.mark.parametrize("a, b", list(itertools.combinations(EXAMPLES, 2)))
def test_the_midpoint_is_halfway_in_every_slider_measure(model, styles, a, b):
    axes = model.style_axes
    ends = np.array([slider_positions(styles[a], axes), slider_positions(styles[b], axes)])
    for weight in (0.25, 0.5, 0.8):
        mixed = slider_positions(mix_styles(styles[a], styles[b], weight), axes)
        assert np.allclose(mixed, (1 - weight) * ends[0] + weight * ends[1], atol=1e-4)
    spread = mix_styles(styles[a], styles[b], 0.5).std
    assert np.all(spread >= np.minimum(styles[a].std, styles[b].std) * (1 - 1e-6))
    assert np.all(spread <= np.maximum(styles[a].std, styles[b].std) * (1 + 1e-6))


@pytest.mark.parametrize("a, b", [("narrow", "wide"), ("light", "bold"), ("bold", "italic")])
def test_the_midpoints_glyphs_measure_between_the_two_styles(model, styles, a, b):
    """What the sliders name, measured on the glyphs drawn (all 62 characters, averaged)."""
    measured = [{k: float(v.mean()) for k, v in measure_all(draw_glyphs(model, CHARSET, style)).items()}
                for style in (styles[a], mix_styles(styles[a], styles[b], 0.5), styles[b])]
    for measure in measured[0]:
        low, high = sorted((measured[0][measure], measured[2][measure]))
        # The decoder is not linear: where two styles barely differ in a measure (light and
        # bold in width), the midpoint may stray a little outside them; 3% of the measure.
        slack = 0.03 * max(abs(low), abs(high))
        assert low - slack <= measured[1][measure] <= high + slack, (measure, measured)
        if measure == STYLE_MEASURE.get(b, STYLE_MEASURE.get(a)):  # the measure the pair is about: strictly
            assert low <= measured[1][measure] <= high, (measure, measured)


def test_mixing_refuses_a_weight_outside_0_to_1(styles):
    for weight in (-0.1, 1.5, float("nan"), "half"):
        with pytest.raises(SettingError, match="mixing weight must be between 0 and 1"):
            mix_styles(styles["wide"], styles["bold"], weight)


def test_mixing_two_files_mixes_their_slider_moves_too(tab, model, styles):
    a = style_to_file(styles["wide"], model, offsets={"slant": 1.0}, name="Wide")
    b = style_to_file(styles["light"], model, offsets={"slant": -1.0, "height": 0.5}, name="Light")
    paths = [tab.files.save(a, "a.json"), tab.files.save(b, "b.json")]
    for weight, expected in ((0, a), (1, b)):
        mixed = open(tab.mix({"path": uploaded(paths[0])}, {"path": uploaded(paths[1])}, weight)["path"], "rb").read()
        assert mixed == expected  # the same file back, name and offsets included
    half = style_from_file(tab.mix({"path": uploaded(paths[0])}, {"path": uploaded(paths[1])}, 0.5)["path"], model)
    assert half.offsets == {"width": 0.0, "stroke_thickness": 0.0, "slant": 0.0, "height": 0.25}
    assert half.info.name == "Wide + Light (50%)" and half.style.characters == "AGK47AGK47"


# -- morphing ----------------------------------------------------------------------------------

def test_a_morph_goes_from_one_style_to_the_other_and_loops(model, styles):
    frames = morph(model, "Hand", styles["narrow"], styles["wide"], 8)
    assert len(frames) == 8 and len({f.size for f in frames}) == 1
    first = write(model, "Hand", styles["narrow"], cap_height=40).image
    assert np.array_equal(np.asarray(frames[0])[:first.height, :first.width], np.asarray(first.convert("RGB")))
    gif = Image.open(io.BytesIO(page_gif(frames)))
    assert gif.n_frames == 14 and gif.info["loop"] == 0  # forth and back, for ever
    with pytest.raises(SettingError, match="from 2 to 24"):
        morph(model, "Hand", styles["narrow"], styles["wide"], 25)
    with pytest.raises(Exception, match="at most 24"):
        morph(model, "x" * 25, styles["narrow"], styles["wide"], 4)


# -- malformed files ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def good(model, styles):
    return style_document(styles["bold"], model, name="Bold")


def edited(document, change) -> bytes:
    document = copy.deepcopy(document)
    change(document)
    return json.dumps(document).encode()


def set_in(path, value):
    def change(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


MALFORMED = {
    "not JSON": (lambda d: b"this is not a style", "not valid JSON"),
    "not text": (lambda d: b"\x89PNG\r\n\x1a\n\xff\xfe", "not text"),
    "a list": (lambda d: b"[1, 2, 3]", "must hold a JSON object"),
    "empty": (lambda d: b"", "not valid JSON"),
    "another format": (lambda d: edited(d, set_in(["format"], "font")), "not a GlyphVAE style file"),
    "a wrong version": (lambda d: edited(d, set_in(["version"], 4)), "version 4 \\(made by a newer GlyphVAE\\)"),
    "a version as text": (lambda d: edited(d, set_in(["version"], "1")), "format version '1'"),
    "a missing key": (lambda d: edited(d, lambda x: x.pop("posterior")), "lacks 'posterior'"),
    "an unknown key": (lambda d: edited(d, set_in(["extra"], 1)), "unknown keys: 'extra'"),
    "a short mean": (lambda d: edited(d, set_in(["posterior", "mean"], [0.0] * 63)), "63 numbers for its"),
    "a mean of another shape": (lambda d: edited(d, set_in(["posterior", "mean"], [[0.0, 0.0]] * 64)),
                                "a list at position 0, not a number"),
    "NaN": (lambda d: edited(d, set_in(["posterior", "mean", 3], float("nan"))), "NaN, which is not a number"),
    "infinity": (lambda d: edited(d, set_in(["posterior", "logvar", 0], float("inf"))),
                 "Infinity, which is not a number"),
    "a huge number": (lambda d: edited(d, set_in(["posterior", "mean", 0], 1e308 * 10)), "not a number"),
    "a number too large for a float": (lambda d: edited(d, set_in(["posterior", "mean", 0], 10 ** 400)),
                                       "not finite"),
    "a huge array": (lambda d: edited(d, set_in(["posterior", "mean"], [0.0] * 50_000)),
                     "50,000 numbers; at most 1,024"),
    "a huge file": (lambda d: b" " * (MAX_STYLE_FILE_BYTES + 1), "at most 262,144"),
    "a log-variance out of range": (lambda d: edited(d, set_in(["posterior", "logvar", 5], 80.0)),
                                    "outside -30 to 10"),
    "a mean out of range": (lambda d: edited(d, set_in(["posterior", "mean", 5], -1e6)), "outside -100 to 100"),
    "true as a number": (lambda d: edited(d, set_in(["posterior", "mean", 1], True)), "true or false at position 1"),
    "a negative count": (lambda d: edited(d, set_in(["posterior", "count"], -1)), "count \\(of drawings\\)"),
    "an offset out of range": (lambda d: edited(d, set_in(["offsets", "slant"], 99)), "offset of the slider 'slant'"),
    "a name with a new line": (lambda d: edited(d, set_in(["name"], "a\nb")), "name must be printable"),
    "characters outside the set": (lambda d: edited(d, set_in(["characters"], "A€")), "characters must be"),
    "no latent size": (lambda d: edited(d, lambda x: x["model"]["config"].pop("latent_dim")), "must give latent_dim"),
    "deep nesting": (lambda d: b"[" * 100_000 + b"]" * 100_000, "nested too deeply|must hold a JSON object"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_file_is_refused_with_a_message_naming_what_is_wrong(model, good, tmp_path, case):
    make, message = MALFORMED[case]
    data = make(good)
    with pytest.raises(StyleFileError, match=message):
        style_from_file(data, model)
    path = tmp_path / "style.json"
    path.write_bytes(data)
    with pytest.raises(StyleFileError, match=message):
        style_from_file(str(path), model)


def test_a_refused_file_in_the_tab_is_a_message_and_the_style_stays(tab, styles, tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{"format": "glyphvae-style", "version": 1, "posterior": {"mean": [NaN]}}')
    style = styles["light"]
    sliders = tab.sliders.positions(style)
    kept = copy.deepcopy(style)
    with pytest.raises(gr.Error, match="not a number"):
        tab.load_ui(uploaded(bad))
    with pytest.raises(gr.Error, match="not a number"):
        tab.mix_ui(style, "my file", uploaded(bad), 0.5, *sliders)
    with pytest.raises(gr.Error, match="Load a second style file first"):
        tab.morph_ui(style, "my file", None, "Hi", 4, *sliders)
    assert same_style(style, kept)  # nothing was changed in place: the page keeps its style
    truncated = tmp_path / "truncated.json"
    truncated.write_text("{")
    with pytest.raises(gr.Error, match="not valid JSON"):
        tab.write_with_style({"path": uploaded(truncated)}, "a", 0, 0)


# -- the model check ----------------------------------------------------------------------------

def test_a_style_of_other_weights_with_the_same_latent_loads_with_a_warning_naming_both(model, good):
    other = edited(good, set_in(["model", "sha256"], "0123456789abcdef"))
    loaded = style_from_file(other, model)
    assert len(loaded.warnings) == 1
    assert "0123456789abcdef" in loaded.warnings[0] and model.identity()["sha256"] in loaded.warnings[0]
    assert "look different" in loaded.warnings[0]
    assert np.array_equal(loaded.style.mean, np.float32(good["posterior"]["mean"]))


def test_a_style_of_another_latent_size_is_refused_naming_both_models(model, good):
    def smaller(document):
        document["model"] = {"sha256": "feedfacefeedface", "config": {**document["model"]["config"], "latent_dim": 16}}
        for key in ("mean", "logvar", "hand_logvar"):
            document["posterior"][key] = document["posterior"][key][:16]

    ours = model.identity()["sha256"]
    with pytest.raises(StyleModelError, match=f"feedfacefeedface \\(16-d latent\\).*{ours} \\(64-d latent\\)"):
        style_from_file(edited(good, smaller), model)


# -- the shipped example style files ----------------------------------------------------------------

@pytest.mark.parametrize("name", EXAMPLES)
def test_the_shipped_example_style_files_are_what_the_script_makes(model, name):
    from train.style_examples import example_style_file as make

    shipped = parse_style_file(example_style_file(name).read_bytes())
    made = json.loads(make(model, name))
    for key in ("mean", "logvar", "hand_logvar"):  # the same numbers (to float32 rounding across CPUs)
        assert np.allclose(shipped["posterior"].pop(key), made["posterior"].pop(key), rtol=0, atol=1e-5), key
    shipped_hand, made_hand = shipped.pop("proportions"), made.pop("proportions")
    assert (shipped_hand is None) == (made_hand is None)
    if made_hand is not None:  # measured on the model's glyphs, as exactly as its numbers
        assert shipped_hand.keys() == made_hand.keys()
        assert all(shipped_hand[k] == pytest.approx(made_hand[k], abs=1e-4) for k in made_hand)
    assert shipped == made  # and everything else exactly: the model's sha256, the characters, the name
    assert shipped["model"]["sha256"] == model.identity()["sha256"]


def test_an_example_style_file_loads_in_one_click_as_its_drawings_do(tab, styles):
    new = tab.load_example_ui("wide")
    assert isinstance(new, NewStyle) and np.allclose(new.style.mean, styles["wide"].mean, atol=1e-5)
    assert "**Wide**" in new.note


def test_the_tab_loads_a_style_of_other_weights_with_a_visible_warning(tab, model, good, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr("glyph_vae.ui.styles.warn", shown.append)  # gr.Warning: a toast on the page
    path = tmp_path / "other.json"
    path.write_bytes(edited(good, set_in(["model", "sha256"], "0123456789abcdef")))
    new = tab.load_ui(uploaded(path))
    assert len(shown) == 1 and "0123456789abcdef" in shown[0] and model.identity()["sha256"] in shown[0]
    assert "made with other weights" in new.note


def test_the_average_style_saves_and_writes_as_no_drawings_do(tab, write_tab):
    path, characters = tab.style([])
    assert characters == "" and json.loads(open(path["path"]).read())["posterior"]["hand_logvar"] is None
    assert open(tab.write_with_style(uploaded(path["path"]), "Average", 0.5, 2)["path"], "rb").read() == \
        open(write_tab.write([], "Average", 0.5, 2)["path"], "rb").read()


def test_warnings_travel_in_the_files_the_api_answers_with(tab, write_tab, model, good, tmp_path, monkeypatch):
    """A caller of the plain HTTP API or MCP never sees Gradio's toasts: each warning of a call is
    also in the file it concerns (the PNG's Warning text chunk, the SVG's metadata)."""
    from glyph_vae.ui.notes import png_notes

    toasts = []
    monkeypatch.setattr(gr, "Warning", lambda message, *a, **k: toasts.append(message))
    path = tmp_path / "other.json"
    path.write_bytes(edited(good, set_in(["model", "sha256"], "0123456789abcdef")))
    written = tab.write_with_style({"path": uploaded(path)}, "Hi 😀 there €", 0.3, 4)
    carried = png_notes(written["path"])
    assert len(carried) == 2 and "0123456789abcdef" in carried[0]
    assert carried[1] == "Left as gaps (not printable ASCII): '😀' '€'"
    assert toasts == carried  # the same words as the page's toasts and the event stream's log

    plain = write_tab.write([], "Hello world", 0.3, 4)  # nothing to say: no chunk
    assert png_notes(plain["path"]) == []
    svg = open(tab.write_svg_with_style({"path": uploaded(path)}, "a€b", 0.0, 1, "outline")["path"]).read()
    assert '<metadata id="warnings">' in svg and "0123456789abcdef" in svg and "&#x27;€&#x27;" not in svg
    assert "Left as gaps (not printable ASCII): '€'" in svg
    from xml.etree import ElementTree
    ElementTree.fromstring(svg)  # still a well-formed SVG
    gif = Image.open(tab.morph({"path": uploaded(path)}, {"path": uploaded(example_style_file("wide"))}, "Hi", 3)["path"])
    assert "0123456789abcdef" in gif.info["comment"].decode() and gif.n_frames == 4  # frames intact


def test_the_page_says_its_gaps_once_under_the_text_not_in_a_toast_per_rewrite(write_tab, monkeypatch):
    toasts = []
    monkeypatch.setattr(gr, "Warning", lambda message, *a, **k: toasts.append(message))
    sliders = write_tab.sliders.positions(write_tab.prior())
    for _ in range(3):  # three rewrites of the same text
        page, _, gaps = write_tab.page_and_file(None, "Hi😀 there€", 0.3, 1, 1000, 48, "My style", *sliders)
    assert toasts == [] and gaps == "⚠️ Left as gaps (not printable ASCII): '😀' '€'"
    assert write_tab.page_and_file(None, "Hi there", 0.3, 1, 1000, 48, "My style", *sliders)[2] == ""

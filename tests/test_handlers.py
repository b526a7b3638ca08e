"""Every tab's handlers, called in-process as Gradio calls them: no server, no browser."""
from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from glyph_vae.models.model import CHARSET
from glyph_vae.models.hub import bundled_path
from glyph_vae.testing.drawings import render_drawing
from glyph_vae.ui import Health, build_demo
from glyph_vae.ui.common import user_errors
from glyph_vae.ui.confuse_tab import ConfuseTab
from glyph_vae.ui.pad import image_value
from glyph_vae.ui.read_tab import BLANK_HINT, ReadTab
from glyph_vae.ui.write_tab import AS_READ, EXAMPLE_ORDER, NO_STYLE_NOTE, STYLE_PADS, WriteTab
from harness.uploads import uploaded


def file_value(path) -> dict:
    """An uploaded file as Gradio hands it to a gr.api endpoint: its copy in the upload folder."""
    return {"path": uploaded(path), "orig_name": path.name if hasattr(path, "name") else None,
            "meta": {"_type": "gradio.FileData"}}


@pytest.fixture(scope="module")
def read_tab(models, tmp_path_factory):
    from glyph_vae.serving import OutputFiles

    return ReadTab(models.glyph_vae.model, OutputFiles(tmp_path_factory.mktemp("read")))


@pytest.fixture(scope="module")
def write_tab(models, tmp_path_factory):
    from glyph_vae.serving import OutputFiles

    return WriteTab(models.glyph_vae.model, OutputFiles(tmp_path_factory.mktemp("write")))


@pytest.fixture(scope="module")
def write_blocks(write_tab):
    """The Write tab built in Blocks of its own, its events wired (no server) -> (demo, its WriteControls)."""
    with gr.Blocks() as demo:
        controls = write_tab.render(demo)
    return demo, controls


@pytest.fixture(scope="module")
def write_controls(write_blocks):
    return write_blocks[1]


def event_fn(demo: gr.Blocks, component, trigger: str):
    """The function an event of a component runs (the first, not what it chains with `then`)."""
    return next(f.fn for f in demo.fns.values() if (component._id, trigger) in f.targets)


@pytest.fixture(scope="module")
def confuse_tab(models, confuser, tmp_path_factory):
    from glyph_vae.serving import OutputFiles

    return ConfuseTab(confuser, models.glyph_vae.model, OutputFiles(tmp_path_factory.mktemp("confuse")))


def values(sliders) -> list[float]:
    """Where the sliders stand: of their updates (dicts) or their settings (SliderSetting)."""
    return [s["value"] if isinstance(s, dict) else s.value for s in sliders]


def drawing(char: str, seed: int = 1, tmp_path=None, **kw) -> str:
    """A drawing as a pad sends it: a PNG data URL."""
    path = tmp_path / f"{char}_{seed}.png"
    render_drawing(char, seed, canvas=400, brush=kw.get("brush", 24)).save(path)
    return image_value(path)


def lined(char: str, seed: int = 1, tmp_path=None) -> str:
    """A drawing written on a ruled pad's lines, as the pad sends it."""
    from glyph_vae.testing.ruled_drawings import ruled_strokes
    from glyph_vae.glyphs.strokes import render_strokes

    path = tmp_path / f"lined_{char}_{seed}.png"
    strokes = ruled_strokes(char, np.random.default_rng(seed), 200, size=1.0, miss=0.0, slant=0.1)
    render_strokes(strokes, 200, 14).save(path)
    return image_value(path)


AS_READ_ALL = [AS_READ] * STYLE_PADS


# -- the building of the app --------------------------------------------------------------

def test_the_app_builds_with_its_queue_and_every_endpoint(models, confuser, files):
    demo = build_demo(models, files, confuser=confuser)
    assert demo.enable_queue
    assert demo._queue.max_size == 64 and demo._queue.default_concurrency_limit == 8
    # Gradio's traffic summary is recomputed once every 1,000 events, not after each one.
    assert demo._queue.ANAYLTICS_CACHE_FREQUENCY == 1000
    public = {fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"}
    assert public == {"classify", "classify_ruled", "write", "glyphs", "confuse", "confuse_by", "confuse_with", "health", "font",
                      "write_svg", "style",
                      "write_with_style", "font_with_style", "write_svg_with_style", "mix", "morph"}


def test_user_errors_become_messages_and_faults_stay_faults():
    from glyph_vae.errors import SettingError

    @user_errors
    def bad_input():
        raise SettingError("The seed must be a whole number from 0 to 2^63-1, not 1.5.")

    @user_errors
    def bug():
        raise ValueError("list index out of range")  # a programming error, not the user's

    with pytest.raises(gr.Error, match="not 1.5") as err:
        bad_input()
    assert err.value.print_exception is False  # no traceback in the log for a user's mistake
    with pytest.raises(ValueError, match="list index"):
        bug()


# -- Read my writing --------------------------------------------------------------------------

def test_read_a_drawing_shows_the_reading_the_glyph_and_its_redrawing(read_tab, tmp_path):
    label, seen, redrawn, hint = read_tab.read_drawing(drawing("7", 1, tmp_path))
    assert max(label, key=label.get) == "7" and len(label) == 5
    assert Image.open(seen).size == (168, 168) and Image.open(redrawn).size == (168, 168)
    assert "Not what you meant" in hint


def test_read_a_blank_pad_asks_for_a_drawing(read_tab):
    assert read_tab.read_drawing("") == (None, None, None, BLANK_HINT)  # what a cleared pad sends


def test_read_an_upload_that_is_not_an_image_names_it(read_tab, tmp_path):
    notes = tmp_path / "notes.png"
    notes.write_text("not an image")
    with pytest.raises(gr.Error, match="notes.png is not an image"):
        read_tab.read_drawing(uploaded(notes))


def test_an_uploaded_picture_goes_into_the_pad_as_ink_and_is_read(read_tab, tmp_path):
    """A photo-like upload (dark ink on grey paper, wider than the pad) is put in the pad as black
    ink on a transparent square, and the pad's drawing reads as the upload does."""
    from glyph_vae import normalize_glyph

    ink = 255 - np.asarray(render_drawing("K", 3, canvas=400, brush=20).convert("L"))  # black on white
    paper = np.full((600, 900), 200, np.uint8)
    paper[100:500, 250:650] -= (ink.astype(np.float32) / 255 * 170).astype(np.uint8)
    path = tmp_path / "photo.jpg"
    Image.fromarray(paper).convert("RGB").save(path, quality=92)
    pad, label, seen, redrawn, hint = read_tab.read_upload(uploaded(path))
    shown = Image.open(io.BytesIO(base64.b64decode(pad.split(",", 1)[1])))
    assert shown.mode == "RGBA" and shown.size == (400, 400)
    assert np.asarray(shown)[..., :3].max() == 0  # black ink; the paper is transparent
    assert np.asarray(shown)[0, 0, 3] == 0 and np.asarray(shown)[..., 3].max() == 255
    top = max(label, key=label.get)
    again = read_tab.read_drawing(pad)[0]
    assert top in "Kk" and max(again, key=again.get) == top
    assert np.abs(normalize_glyph(pad) - normalize_glyph(str(path))).mean() < 0.02
    assert read_tab.read_upload(None) == (gr.skip(),) * 5  # the upload removed: nothing changes


def test_classify_endpoint_returns_the_label_format(read_tab):
    result = read_tab.classify(file_value(bundled_path("examples", "drawn_A.png")))
    assert result["label"] == "A" and [c["label"] for c in result["confidences"]][0] == "A"
    assert len(result["confidences"]) == 5
    with pytest.raises(gr.Error, match="Send an image"):
        read_tab.classify(None)


# -- Write like me -----------------------------------------------------------------------------

def test_update_style_reads_each_pad_and_keeps_slider_moves(write_tab, tmp_path):
    pads = [lined("A", 2, tmp_path), ""] + [""] * (STYLE_PADS - 2)
    before = write_tab.prior()
    moved = [p + (1.0 if k == 2 else 0.0) for k, p in enumerate(write_tab.sliders.positions(before))]  # slant +1
    shown = write_tab.update_style(None, pads, AS_READ_ALL, before, moved)
    style, note, reads, sliders = shown.style, shown.note, shown.reads, values(shown.sliders)
    assert style.count == 1 and "Style from **1** drawing" in note
    assert len(reads) == STYLE_PADS and reads[0].startswith("read as **A**") and reads[1] == "*empty*"
    start = write_tab.sliders.positions(style)
    assert sliders[2] == pytest.approx(min(3.0, start[2] + 1.0), abs=0.011)  # the move is kept
    assert sliders[0] == pytest.approx(start[0], abs=0.011)


def test_pads_with_small_letters_give_the_writers_proportions_and_the_note_says_them(write_tab, tmp_path):
    pads = [lined("A", 2, tmp_path), lined("a", 3, tmp_path), lined("g", 4, tmp_path)] + [""] * (STYLE_PADS - 3)
    before = write_tab.prior()
    shown = write_tab.update_style(None, pads, AS_READ_ALL, before, write_tab.sliders.positions(before))
    style, note = shown.style, shown.note
    assert style.proportions is not None and "Your proportions: small letters" in note
    # written to the guides: small letters about half the capitals, descenders a third or more below
    assert 0.4 < style.proportions.x_height < 0.6 and style.proportions.descender < -0.3
    capitals_only = [lined("A", 2, tmp_path)] + [""] * (STYLE_PADS - 1)
    shown = write_tab.update_style(None, capitals_only, AS_READ_ALL, before, write_tab.sliders.positions(before))
    hand = shown.style.proportions  # no heights to measure; the width the drawing shows
    assert (hand is None or hand.vertical_typical) and "small letters" not in shown.note


def test_an_example_replaces_the_drawings_and_keeps_the_moves(write_tab, write_controls):
    before = write_tab.prior()
    moved = [p + 0.5 for p in write_tab.sliders.positions(before)]
    pads, shown = write_tab.load_example("italic", before, moved)
    assert all(p.startswith("data:image/png;base64,") for p in pads[:len(EXAMPLE_ORDER)])
    assert pads[len(EXAMPLE_ORDER):] == [""] * (STYLE_PADS - len(EXAMPLE_ORDER))
    style, note, reads = shown.style, shown.note, shown.reads
    assert style.count == len(EXAMPLE_ORDER)
    assert "italic" in note and reads[0].startswith("read as **A**")
    start = write_tab.sliders.positions(style)
    assert start[2] > 0.5  # the italic drawings put the slant well to the right
    assert values(shown.sliders) == pytest.approx([min(3.0, s + 0.5) for s in start], abs=0.011)
    # in the tab: the pads hold the drawings, the corrections (for the drawings before) and the uploads go
    c = write_controls
    out = c.put(shown, drawings=pads, fixes=True)
    assert [out[p] for p in c.pads] == pads and [out[f] for f in c.fixes] == AS_READ_ALL
    assert out[c.uploads] is None and out[c.style] is style and out[c.note] == note
    assert [out[r] for r in c.reads] == reads and values(out[s] for s in c.sliders) == values(shown.sliders)


def test_clearing_clears_pads_and_uploads_and_says_so(write_tab):
    style = write_tab.load_example("bold", write_tab.prior(), write_tab.sliders.positions(write_tab.prior()))[1].style
    moved = [p - 0.4 for p in write_tab.sliders.positions(style)]
    shown = write_tab.clear_drawings(style, moved)
    assert shown.style.count == 0 and shown.note == NO_STYLE_NOTE
    assert shown.reads == ["*empty*"] * STYLE_PADS
    prior = write_tab.sliders.positions(write_tab.prior())
    assert values(shown.sliders) == pytest.approx([p - 0.4 for p in prior], abs=0.011)


def test_the_tab_puts_a_style_in_exactly_the_components_its_events_set(write_tab, write_controls):
    """`WriteControls.put` is the one way a style goes into the tab: what it sets is what each
    event declares as its outputs (a value for a component the event does not set is an error
    in Gradio; one it leaves out would keep a stale value)."""
    c = write_controls
    shown = write_tab.clear_drawings(None, write_tab.sliders.positions(write_tab.prior()))
    for drawings, fixes in ((None, False), ([""] * STYLE_PADS, False), ([""] * STYLE_PADS, True)):
        out = c.put(shown, drawings=drawings, fixes=fixes)
        assert list(out) == c.put_targets(drawings=drawings is not None, fixes=fixes)
    emptied = c.put(shown, drawings=[""] * STYLE_PADS)  # a style file's style: the pads and uploads emptied
    assert [emptied[p] for p in c.pads] == [""] * STYLE_PADS and emptied[c.uploads] is None
    assert not set(c.fixes) & set(emptied)  # the corrections stay as they are


def test_a_style_file_is_shown_with_no_drawing_and_its_offsets_on_the_sliders(write_tab):
    from glyph_vae.ui.styles import NewStyle

    style = write_tab.prior()
    shown = write_tab.taken(NewStyle(style, {"slant": 0.5}, "Loaded"))
    assert shown.reads == ["*empty*"] * STYLE_PADS and shown.note == "Loaded"
    start = write_tab.sliders.positions(style)
    assert values(shown.sliders) == [round(p + (0.5 if a.name == "slant" else 0.0), 2)
                                     for a, p in zip(write_tab.sliders.axes, start)]


def test_a_slider_range_follows_a_style_beyond_it_and_the_page_is_that_style(write_tab, tmp_path):
    """A hand far out on an axis (here a style pushed 2 units past the slant range): the slider
    stands at the style's own place, its range stretched to it, and writing with the slider
    there writes the style itself; a move stays in the range; the range comes back after."""
    sliders = write_tab.sliders
    base = write_tab.load_example("bold", write_tab.prior(), sliders.positions(write_tab.prior()))[1].style
    axis = sliders.axes[2]
    far = base.shifted((axis.high + 2 - sliders.positions(base)[2]) * axis.scale * axis.direction)
    start = sliders.positions(far)
    assert start[2] == pytest.approx(axis.high + 2, abs=0.011)
    updates = write_tab.reset_sliders(far)
    assert updates[2]["value"] == start[2] and updates[2]["maximum"] >= start[2] and updates[2]["minimum"] == axis.low
    assert (updates[0]["minimum"], updates[0]["maximum"]) == (sliders.axes[0].low, sliders.axes[0].high)
    assert np.allclose(sliders.moved(far, values(updates)).mean, far.mean, atol=1e-4)  # the true style
    assert open(write_tab.write_ui(far, "Slant", 0.0, 1, 1000, 48, *values(updates)), "rb").read() == \
        open(write_tab.write_ui(far, "Slant", 0.0, 1, 1000, 48, *start), "rb").read()
    moved = write_tab.carried(far, far, [*start[:2], start[2] + 5, start[3]])
    assert moved[2].value == updates[2]["maximum"]  # a move past the stretched end stops there
    back = write_tab.carried(far, base, values(updates))  # a style inside the range again
    assert (back[2].low, back[2].high) == (axis.low, axis.high)


def test_write_ui_writes_a_png_and_the_same_inputs_give_the_same_bytes(write_tab):
    style = write_tab.prior()
    sliders = write_tab.sliders.positions(style)
    a = write_tab.write_ui(style, "Hello world", 0.3, 1, 1000, 48, *sliders)
    b = write_tab.write_ui(style, "Hello world", 0.3, 1, 1000, 48, *sliders)
    assert open(a, "rb").read() == open(b, "rb").read() and Image.open(a).format == "PNG"
    moved = list(sliders)
    moved[1] += 2.0  # heavier strokes
    c = write_tab.write_ui(style, "Hello world", 0.3, 1, 1000, 48, *moved)
    assert open(c, "rb").read() != open(a, "rb").read()


@pytest.mark.parametrize("args,message", [
    ((0.3, 1.5, 1000, 48), "seed must be a whole number from 0 to 2\\^63-1, not 1.5"),
    ((0.3, -1, 1000, 48), "not -1"),
    ((2, 0, 1000, 48), "Randomness must be between 0 and 1 .* not 2"),
    ((float("nan"), 0, 1000, 48), "not nan"),
    ((0.3, 0, 10, 48), "line width must be a whole number from 400 to 1600, not 10"),
])
def test_write_ui_refuses_bad_settings_in_the_apps_words(write_tab, args, message):
    style = write_tab.prior()
    with pytest.raises(gr.Error, match=message):
        write_tab.write_ui(style, "Hello", *args, *write_tab.sliders.positions(style))


def test_write_and_glyphs_endpoints(write_tab):
    drawings = [file_value(p) for p in (bundled_path("style_examples", "bold", f"{c}.png") for c in "AK")]
    page = write_tab.write(drawings, "Hello world", 0.3, 1)
    assert page["meta"] == {"_type": "gradio.FileData"} and Image.open(page["path"]).format == "PNG"
    glyphs = write_tab.glyphs(drawings, "a b", 0.0, 0)
    assert [g["caption"] for g in glyphs] == ["a", "b"] and Image.open(glyphs[0]["image"]["path"]).size == (112, 112)
    with pytest.raises(gr.Error, match="cannot draw '€'"):
        write_tab.glyphs([], "a€", 0.0, 0)


# -- Confuse this digit ------------------------------------------------------------------------

def test_confuse_a_chosen_digit(confuse_tab):
    from glyph_vae.pipelines.confuse import DEFAULT_MAKER, SHOWN_SIZE

    a, b, muddle, gif, info, result, digit = confuse_tab.confuse_ui("3", None, 42)
    assert info["digit"] == 3 == result.digit and digit == "3" and info["partner"] != 3
    assert info["from_drawing"] is False and info["read_as"] is None and info["maker"] == DEFAULT_MAKER
    assert isinstance(info["truly_between"], bool)
    assert Image.open(gif).format == "GIF" and Image.open(muddle).size == (SHOWN_SIZE, SHOWN_SIZE)
    strip, latent, verdict = confuse_tab.details(result)
    assert Image.open(latent).size[0] == 500 and "read it as **3**" in verdict and "GlyphVAE drew it" in verdict
    assert confuse_tab.details(None) == (None, None, "")
    *_, info, result, _ = confuse_tab.confuse_ui("3", None, 42, "balance", "autoencoder")
    assert info["maker"] == "autoencoder" and "muddle autoencoder drew it" in confuse_tab.details(result)[2]
    # a frame the readers all take for one digit is called what it is
    *_, info, result, _ = confuse_tab.confuse_ui("5", None, 0, "far_from_both", "autoencoder")
    assert info["p_digit"] >= 0.8  # this seed's far-from-both frame is the path's start, a plain 5
    assert "**Not a muddle: the readers see a 5**" in confuse_tab.details(result)[2]


def test_the_benchmarks_reading_of_the_returned_file_is_the_in_process_reading(confuse_tab):
    from bench.muddle import read_returned, read_returned_gif
    from glyph_vae.pipelines.confuse import read_pictures

    for maker in ("class_mix", "autoencoder"):
        (a, b, muddle, gif, info), result = confuse_tab.answer("6", None, 5, "balance", maker)
        png = Path(muddle).read_bytes()
        reading = read_returned(png)
        assert np.array_equal(reading, read_pictures(result.picture)[0])  # the same picture, read the same way
        # the summary's scorers are their reading of that very file
        each = confuse_tab.confuser.read_shown(np.asarray(Image.open(muddle).convert("L")))[0]
        summary = np.array([[row[str(k)] for k in range(10)] for row in info["scorers"]])
        assert np.allclose(summary, each, atol=1e-4) and summary.shape == (5, 10)
        # the endpoint returns exactly this file
        *_, returned, returned_gif, again = confuse_tab.confuse_with("6", None, 5, "balance", maker)
        assert Path(returned["path"]).read_bytes() == png and again == info
        assert len(read_returned_gif(Path(returned_gif["path"]).read_bytes())) == len(result.shown_path)


def test_confuse_a_drawn_letter_is_refused_in_one_message(confuse_tab, tmp_path):
    a, b, muddle, gif, info, refused, digit = confuse_tab.confuse_ui("8", drawing("A", 3, tmp_path), 1)
    assert (a, b, muddle, gif, info) == (None,) * 5  # no muddle of some digit in the letter's place
    assert digit == gr.update()  # the digit radio stays where the user left it
    strip, latent, verdict = confuse_tab.details(refused)
    assert strip is None and latent is None
    assert verdict.startswith("**Your drawing reads as '") and "which is not a digit" in verdict
    assert "clear the pad" in verdict
    with pytest.raises(gr.Error, match="reads as '[Aa]', which is not a digit"):  # the API: an error, no muddle
        confuse_tab.confuse("8", drawing("A", 3, tmp_path), 1)


def test_confuse_reads_a_drawn_zero_as_the_digit_the_pad_asks_for(confuse_tab, tmp_path):
    """A 0 and an O are drawn alike; the 62-way reader calls this drawing an o. On the Confuse
    pad, which asks for a digit, it is a 0, and confused as one."""
    from glyph_vae.pipelines.reading import read
    from glyph_vae.ui.confuse_tab import on_a_digit_pad

    zero = drawing("0", 1, tmp_path)
    assert read(confuse_tab.reader, zero).character in "oO"  # what the Read tab says
    _, info = confuse_tab.muddle("8", zero, 1)
    assert info["read_as"] == "0" and info["digit"] == 0
    reading = np.full(62, 0.005)
    reading[CHARSET.index("A")], reading[4] = 0.9, 0.01
    assert CHARSET[int(on_a_digit_pad(reading / reading.sum()).argmax())] == "A"  # a letter stays a letter
    assert on_a_digit_pad(reading).sum() == pytest.approx(1.0)


def test_confuse_a_drawn_digit_warns_of_nothing(confuse_tab, tmp_path, monkeypatch):
    warnings = []
    monkeypatch.setattr(gr, "Warning", lambda message, *a, **k: warnings.append(message))
    *_, info, result, digit = confuse_tab.confuse_ui("8", drawing("4", 2, tmp_path), 1)
    assert info["read_as"] == "4" and digit == "4" and warnings == [] and info["from_drawing"]


def test_choosing_a_digit_confuses_it_and_empties_the_pad(confuse_tab):
    *outputs, result, digit, pad = confuse_tab.confuse_digit_ui("7", 3, "balance", "class_mix")
    assert result.digit == 7 and digit == "7" and pad == "" and outputs[4]["digit"] == 7


def test_confuse_errors_in_the_apps_words(confuse_tab, tmp_path):
    notes = tmp_path / "notes.png"
    notes.write_text("not an image")
    with pytest.raises(gr.Error, match="notes.png is not an image"):
        confuse_tab.confuse("3", {"background": None, "layers": [], "composite": file_value(notes)}, 1)
    with pytest.raises(gr.Error, match="Choose a digit from 0 to 9 \\(not '12'\\)"):
        confuse_tab.confuse("12", None, 1)
    with pytest.raises(gr.Error, match="not 1.5"):
        confuse_tab.confuse("3", None, 1.5)
    a, b, muddle, gif, info = confuse_tab.confuse("3", None, 7)  # the endpoint's own output
    assert gif["path"].endswith(".gif") and json.dumps(info)
    with pytest.raises(gr.Error, match="The muddle maker must be one of class_mix, autoencoder, not 'gan'"):
        confuse_tab.confuse_with("3", None, 1, "balance", "gan")


def test_health_names_every_model(models):
    record = Health(models).health()
    assert record["status"] == "ok" and record["warnings"] == []
    assert set(record["models"]) == {"GlyphVAE", "MuddleAutoencoder", "DigitClassifier", "ChooserEnsemble"}
    assert record["models"]["GlyphVAE"]["sha256"] == models.glyph_vae.model.weights_sha256[:16]
    assert record["models"]["GlyphVAE"]["source"] == "bundled (assets/glyph_vae)"


def test_a_pad_corrected_by_the_user_enters_the_style_as_that_character(write_tab, write_blocks, tmp_path):
    pads = [lined("g", 2, tmp_path), lined("K", 3, tmp_path)] + [""] * (STYLE_PADS - 2)
    fixes = ["9", AS_READ] + [AS_READ] * (STYLE_PADS - 2)
    positions = write_tab.sliders.positions(write_tab.prior())
    shown = write_tab.update_style(None, pads, fixes, write_tab.prior(), positions)
    assert shown.reads[0].startswith("read as **g**") and shown.reads[0].endswith("it is **9**")
    assert shown.style.characters == "9K" and "(read as 9 K)" in shown.note
    # drawing on the pad again: its correction goes back to "as read"
    assert write_tab.pad_drawn(0, None, pads, fixes, write_tab.prior(), positions).style.characters == "gK"
    # ... and the pad's event sets its box so
    demo, c = write_blocks
    data = {c.uploads: None, **dict(zip(c.pads, pads)), **dict(zip(c.fixes, fixes)), c.style: write_tab.prior(),
            **dict(zip(c.sliders, positions))}
    assert set(data) == c.drawing_inputs
    out = event_fn(demo, c.pads[0], "input")(data)
    assert out[c.fixes[0]] == AS_READ and out[c.style].characters == "gK"


def test_the_app_modules_import_one_way():
    """The tab modules and their parts form layers: no module of glyph_vae.ui imports (at its
    top or inside a function) one that imports it back, directly or through others."""
    import ast
    import graphlib

    folder = Path(__file__).resolve().parent.parent / "glyph_vae" / "ui"
    graph = {}
    for path in folder.glob("*.py"):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:  # from .x import y / from . import x
                imported |= {node.module} if node.module else {alias.name for alias in node.names}
        graph[path.stem] = {m for m in imported if (folder / f"{m}.py").is_file()}
    order = list(graphlib.TopologicalSorter(graph).static_order())  # raises CycleError on a cycle
    assert order.index("downloads") < order.index("styles") < order.index("write_tab") < order.index("__init__")

"""The app as users reach it: /classify and /confuse through gradio_client, the Read and
Confuse tabs in Chromium, and the app on weights it cannot load."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from glyph_vae.models.hub import bundled_path
from glyph_vae.testing.drawings import render_drawing
from harness.app import running_app
from harness.browser import draw_character


def test_classify_reads_a_drawing_and_returns_label_format(client, tmp_path):
    path = tmp_path / "seven.png"
    render_drawing("7", seed=11, canvas=400, brush=24).save(path)
    result = client.predict(handle_file(str(path)), api_name="/classify")
    assert result["label"] == "7"
    confidences = result["confidences"]
    assert len(confidences) == 5
    assert confidences[0]["label"] == "7" and confidences[0]["confidence"] > 0.5
    assert all(a["confidence"] >= b["confidence"] for a, b in zip(confidences, confidences[1:]))
    assert sum(c["confidence"] for c in confidences) <= 1.0 + 1e-6


def test_classify_a_blank_image_says_draw_first_and_server_keeps_answering(client, tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("RGB", (400, 400), "white").save(blank)
    with pytest.raises(Exception, match="Draw a character first"):
        client.predict(handle_file(str(blank)), api_name="/classify")
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(Exception, match="notes.png is not an image: send a PNG, JPEG, WebP, GIF or BMP file"):
        client.predict(handle_file(str(text)), api_name="/classify")
    ok = tmp_path / "a.png"
    render_drawing("A", seed=3, canvas=300, brush=20).save(ok)
    assert client.predict(handle_file(str(ok)), api_name="/classify")["label"] in ("A", "a")


def test_classify_ruled_reads_size_and_place_on_the_lines_where_classify_reads_shape(client, tmp_path):
    import numpy as np

    from glyph_vae.testing.ruled_drawings import ruled_strokes
    from glyph_vae.glyphs.strokes import render_strokes

    def on_lines(char: str, name: str, **shape) -> str:
        strokes = ruled_strokes(char, np.random.default_rng(7), 400, miss=0.0, slant=0.1, **{"size": 1.0, **shape})
        path = tmp_path / f"{name}.png"
        render_strokes(strokes, 400, 26).save(path)
        return handle_file(str(path))

    readings = {name: client.predict(on_lines(char, name), api_name="/classify_ruled")
                for char, name in (("o", "small_o"), ("O", "tall_O"), ("g", "g"), ("9", "nine"), ("p", "p"))}
    assert readings["small_o"]["label"] == "o" and readings["tall_O"]["label"] in ("O", "0")
    assert readings["g"]["label"] == "g" and readings["nine"]["label"] == "9" and readings["p"]["label"] == "p"
    top = readings["g"]["confidences"]
    assert len(top) == 5 and all(a["confidence"] >= b["confidence"] for a, b in zip(top, top[1:]))
    # /classify stays the shape alone: its answer is the shape reader's, wherever the ink is
    from glyph_vae import GlyphVAE, read

    model = GlyphVAE.from_pretrained()
    for name in ("small_o", "g"):
        expected = read(model, str(tmp_path / f"{name}.png")).character
        assert client.predict(handle_file(str(tmp_path / f"{name}.png")), api_name="/classify")["label"] == expected
    dot = tmp_path / "dot.png"
    image = Image.new("RGB", (400, 400), "white")
    from PIL import ImageDraw
    ImageDraw.Draw(image).ellipse((190, 250, 214, 274), fill="black")
    image.save(dot)
    with pytest.raises(Exception, match="Too small to read"):
        client.predict(handle_file(str(dot)), api_name="/classify_ruled")
    with pytest.raises(Exception, match="Draw a character first"):
        blank = tmp_path / "blank.png"
        Image.new("RGB", (400, 400), "white").save(blank)
        client.predict(handle_file(str(blank)), api_name="/classify_ruled")


def test_the_api_lists_exactly_the_documented_endpoints_and_inputs(client):
    info = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert set(info) == {"/classify", "/classify_ruled", "/write", "/glyphs", "/confuse", "/confuse_by", "/confuse_with", "/health",
                         "/font", "/write_svg",
                         "/style",
                         "/write_with_style", "/font_with_style", "/write_svg_with_style", "/mix", "/morph"}
    names = {api: [p["parameter_name"] for p in endpoint["parameters"]] for api, endpoint in info.items()}
    assert names == {"/classify": ["image"], "/classify_ruled": ["image"], "/write": ["drawings", "text", "randomness", "seed"],
                     "/glyphs": ["drawings", "characters", "randomness", "seed"],
                     "/confuse": ["digit", "drawing", "seed"], "/confuse_by": ["digit", "drawing", "seed", "criterion"],
                     "/confuse_with": ["digit", "drawing", "seed", "criterion", "maker"],
                     "/health": [],
                     "/font": ["drawings", "name", "alternates", "randomness", "seed"],
                     "/write_svg": ["drawings", "text", "randomness", "seed", "kind"],
                     "/style": ["drawings"], "/write_with_style": ["style", "text", "randomness", "seed"],
                     "/font_with_style": ["style", "name", "alternates", "randomness", "seed"],
                     "/write_svg_with_style": ["style", "text", "randomness", "seed", "kind"],
                     "/mix": ["style_a", "style_b", "weight"], "/morph": ["style_a", "style_b", "word", "steps"]}
    # every endpoint's outputs, each with a type a client can read (the style-file twins answer as their twins)
    returns = {api: len(endpoint["returns"]) for api, endpoint in info.items()}
    assert returns["/font_with_style"] == returns["/font"] == 2 and returns["/style"] == 2
    assert returns["/write_with_style"] == returns["/write_svg_with_style"] == returns["/mix"] == returns["/morph"] == 1
    assert all(r["python_type"]["type"] not in ("", "Any") for e in info.values() for r in e["returns"]), \
        {api: [r["python_type"] for r in e["returns"]] for api, e in info.items()}


# -- the Read tab ----------------------------------------------------------------------------

def top_prediction(page) -> str:
    return page.locator("#read-label h2, #read-label .output-class").first.inner_text().strip()


def test_page_draw_with_the_mouse_read_clear_and_draw_again(read_page, tmp_path):
    page = read_page
    assert "Draw a character" in page.locator("#read-hint").inner_text()  # friendly hint, no error
    draw_character(page, "7", seed=1)  # straight away: no tool to pick first
    page.wait_for_function("() => /7/.test(document.querySelector('#read-label').innerText)", timeout=20_000)
    assert top_prediction(page) == "7"
    page.screenshot(path=str(tmp_path / "read.png"))
    assert page.locator("#read-label").inner_text().count("%") == 5  # top 5 with confidences
    assert page.locator(".toast-body.error").count() == 0

    page.click("#read-pad .pad-clear")
    page.wait_for_function("() => document.querySelector('#read-hint').innerText.includes('Draw a character')")
    assert "%" not in page.locator("#read-label").inner_text()
    draw_character(page, "A", seed=2)
    page.wait_for_function(
        "() => { const h = document.querySelector('#read-label h2, #read-label .output-class');"
        " return h && /^[Aa]$/.test(h.innerText.trim()); }", timeout=20_000)


def test_page_upload_a_picture_instead_of_drawing(read_page):
    page = read_page
    page.get_by_text("Or upload a picture of a character").click()
    page.locator("#read-upload input[type=file]").set_input_files(str(bundled_path("examples", "drawn_K.png")))
    page.wait_for_function("() => /%/.test(document.querySelector('#read-label').innerText)", timeout=20_000)
    assert top_prediction(page) in ("K", "k")


# -- Confuse this digit -----------------------------------------------------------------------

def test_confuse_endpoint_returns_a_b_muddle_gif_and_json(client, confuser):
    from bench.muddle import read_returned
    from glyph_vae.pipelines.confuse import SHOWN_SIZE

    a, b, muddle, gif, info = client.predict("3", None, 11, api_name="/confuse")
    assert Image.open(a).size == Image.open(b).size
    assert Image.open(muddle).size == (SHOWN_SIZE, SHOWN_SIZE)
    animation = Image.open(gif)
    assert animation.format == "GIF" and animation.n_frames >= 15
    assert info["digit"] == 3 and info["partner"] != 3 and 0 <= info["partner"] <= 9
    assert abs(sum(info["probabilities"].values()) - 1) < 1e-3 and info["maker"] == "class_mix"
    assert isinstance(info["truly_between"], bool) and info["read_as"] is None
    again = client.predict("3", None, 11, api_name="/confuse")
    assert again[4] == info  # same seed, same muddle
    # the summary is the app's scorers reading the very picture the client downloaded
    each = confuser._each(read_returned(open(muddle, "rb").read())[None])[0]
    summary = np.array([[row[str(k)] for k in range(10)] for row in info["scorers"]])
    assert np.allclose(summary, each, atol=1e-3)


def test_confuse_by_chooses_by_the_criterion_and_confuse_keeps_its_three_inputs(client, app_url):
    from harness.http import call

    plain = client.predict("3", None, 11, api_name="/confuse")[4]
    assert plain["criterion"] == "balance"
    assert client.predict("3", None, 11, "balance", api_name="/confuse_by")[4] == plain
    far = client.predict("3", None, 11, "far_from_both", api_name="/confuse_by")[4]
    assert far["criterion"] == "far_from_both" and not far["refined_by_bisection"]
    assert far["partner"] == plain["partner"]  # the same a and partner; another frame of the path
    assert isinstance(far["good_muddle"], bool) and len(far["scorers"]) == 5  # the app's five scorers
    assert client.predict("3", None, 11, "far_from_both", api_name="/confuse_by")[4] == far
    with pytest.raises(Exception, match="The criterion must be one of balance, far_from_both"):
        client.predict("3", None, 11, "farthest", api_name="/confuse_by")
    # a plain HTTP client sends exactly the three inputs /confuse has always had, and four to /confuse_by
    event, outputs = call(app_url, "confuse", ["3", None, 11])
    assert event == "complete" and outputs[4] == plain
    event, outputs = call(app_url, "confuse_by", ["3", None, 11, "far_from_both"])
    assert event == "complete" and outputs[4] == far


def test_confuse_with_chooses_the_maker(client):
    plain = client.predict("5", None, 4, api_name="/confuse")[4]
    assert client.predict("5", None, 4, "balance", "class_mix", api_name="/confuse_with")[4] == plain
    other = client.predict("5", None, 4, "balance", "autoencoder", api_name="/confuse_with")[4]
    assert other["maker"] == "autoencoder" and other["partner"] == plain["partner"]
    with pytest.raises(Exception, match="The muddle maker must be one of class_mix, autoencoder"):
        client.predict("5", None, 4, "balance", "gan", api_name="/confuse_with")


def test_confuse_with_a_drawing_and_bad_inputs(client, tmp_path):
    path = tmp_path / "four.png"
    render_drawing("4", seed=2, canvas=300, brush=22).save(path)
    drawing = {"background": None, "layers": [], "composite": handle_file(str(path))}
    info = client.predict("8", drawing, 1, api_name="/confuse")[4]
    assert info["from_drawing"] and info["digit"] == 4 and info["read_as"] == "4"  # the drawing wins
    letter = tmp_path / "a.png"
    render_drawing("A", seed=3, canvas=300, brush=22).save(letter)
    with pytest.raises(Exception, match="reads as '[Aa]', which is not a digit"):
        client.predict("8", {"background": None, "layers": [], "composite": handle_file(str(letter))}, 1,
                       api_name="/confuse")
    blank = tmp_path / "blank.png"
    Image.new("RGB", (300, 300), "white").save(blank)
    info = client.predict("8", {"background": None, "layers": [], "composite": handle_file(str(blank))}, 1,
                          api_name="/confuse")[4]
    assert not info["from_drawing"] and info["digit"] == 8  # an empty pad means: use the chosen digit
    notes = tmp_path / "notes.png"
    notes.write_text("not an image")
    with pytest.raises(Exception, match="notes.png is not an image"):
        client.predict("3", {"background": None, "layers": [], "composite": handle_file(str(notes))}, 1,
                       api_name="/confuse")
    with pytest.raises(Exception, match="Choose a digit from 0 to 9"):
        client.predict("12", None, 1, api_name="/confuse")
    with pytest.raises(Exception, match="The seed must be a whole number from 0 to 2\\^63-1, not -5"):
        client.predict("3", None, -5, api_name="/confuse")
    assert client.predict("3", None, 2, api_name="/confuse")[4]["digit"] == 3  # still answering


SHOTS = os.environ.get("GLYPH_VAE_SHOTS")  # a folder to keep the Confuse tab's screenshots in, to look at


def _shot(page, tmp_path, name: str) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _verdict_has(page, text: str) -> None:
    page.wait_for_function("(t) => document.querySelector('#confuse-verdict').innerText.includes(t)", arg=text,
                           timeout=60_000)


def test_page_a_muddle_on_arrival_and_on_every_choice(read_page, tmp_path):
    page = read_page
    page.get_by_role("tab", name="Confuse this digit").click()
    # on arrival: the default digit's muddle, its path, map and verdict, nothing pressed
    page.wait_for_selector("#confuse-muddle img", timeout=60_000)
    _verdict_has(page, "GlyphVAE drew it")
    verdict = page.locator("#confuse-verdict").inner_text()
    assert "read it as 3" in verdict and "**" not in verdict  # plain words, rendered
    page.wait_for_selector("#confuse-gif img", timeout=30_000)
    assert page.locator("#confuse-gif img").get_attribute("src").split("?")[0].endswith(".gif")
    page.wait_for_selector("#confuse-strip img", timeout=30_000)
    _shot(page, tmp_path, "confuse_arrival")
    # choosing a digit runs it
    page.locator("#confuse-digit label", has_text="5").click()
    _verdict_has(page, "read it as 5")
    # choosing the criterion runs it
    page.locator("#confuse-criterion label", has_text="far from both").click()
    _verdict_has(page, "farthest from both ends")
    # and the maker
    page.locator("#confuse-maker label", has_text="muddle autoencoder").click()
    _verdict_has(page, "muddle autoencoder drew it")
    verdict = page.locator("#confuse-verdict").inner_text()
    assert all(name in verdict for name in ("GlyphVAE's digit head", "the digit CNN", "the row-by-row reader"))
    page.wait_for_selector("#confuse-map img", timeout=30_000)
    _shot(page, tmp_path, "confuse_choices")
    assert page.locator(".toast-body.error").count() == 0


def test_page_a_drawn_letter_gets_one_clear_message_and_no_muddle(read_page, tmp_path):
    page = read_page
    page.get_by_role("tab", name="Confuse this digit").click()
    _verdict_has(page, "read it as 3")  # the arrival's muddle
    page.get_by_text("Or draw your own digit").click()
    page.wait_for_selector("#confuse-pad canvas", state="visible")
    draw_character(page, "A", seed=5, pad="#confuse-pad")  # confused at every pen-up
    page.wait_for_function("() => /reads as '[Aa]'/.test(document.querySelector('#confuse-verdict').innerText)",
                           timeout=60_000)
    message = page.locator("#confuse-verdict").inner_text()
    assert "not a digit" in message and "clear the pad" in message
    _shot(page, tmp_path, "confuse_letter")
    # the message stands where the answer would: no muddle of some digit in the letter's place,
    # no toast (one would pile up at every pen-up), no warning standing in for the refusal
    assert page.locator("#confuse-muddle img").count() == 0 and page.locator("#confuse-strip img").count() == 0
    assert page.locator(".toast-body.error").count() == 0 and page.locator(".toast-body.warning").count() == 0


def test_page_a_drawn_zero_is_confused_as_a_zero(read_page, tmp_path):
    """A drawn 0 looks like an O, and the 62-way reader often says O; the Confuse pad asks for a
    digit, so it confuses a 0."""
    page = read_page
    page.get_by_role("tab", name="Confuse this digit").click()
    _verdict_has(page, "read it as 3")  # the arrival's muddle
    page.get_by_text("Or draw your own digit").click()
    page.wait_for_selector("#confuse-pad canvas", state="visible")
    draw_character(page, "0", seed=1, pad="#confuse-pad")
    _verdict_has(page, "of the way from 0 to")
    assert "not a digit" not in page.locator("#confuse-verdict").inner_text()
    assert page.locator("#confuse-muddle img").count() == 1
    _shot(page, tmp_path, "confuse_zero")


def test_the_title_and_the_tabs_fit_a_laptop_screen(read_page, tmp_path):
    page = read_page
    """The page's font has every capital (the title once rendered as 'GlyphVᴀE')."""
    font = page.evaluate("() => getComputedStyle(document.querySelector('h1')).fontFamily")
    assert font.split(",")[0].strip().strip('"') == "system-ui"
    for name in ("Read my writing", "Write like me", "Confuse this digit"):
        assert page.get_by_role("tab", name=name).is_visible()  # none hidden behind "..."


def test_unloadable_model_falls_back_to_bundled_weights_with_one_visible_warning(tmp_path, browser):
    """GLYPH_VAE_MODEL naming a repo that is not in the (empty, offline) cache: the app still
    starts on the bundled weights and says which model it could not load and why."""
    log = tmp_path / "app.log"
    with running_app(log, HF_HUB_CACHE=str(tmp_path / "empty-cache"),
                     GLYPH_VAE_MODEL="nobody/missing-model@v1") as url:
        assert "Could not load GlyphVAE from GLYPH_VAE_MODEL=nobody/missing-model@v1" in log.read_text()
        page = browser.new_page()
        page.goto(url)
        page.wait_for_selector("#load-warning", timeout=30_000)
        text = page.locator("#load-warning").inner_text()
        assert "nobody/missing-model" in text and ".." not in text and text.count("Using the bundled weights") == 1
        borders = page.evaluate("""() => [...document.querySelectorAll('#load-warning, #load-warning *')]
            .filter((e) => getComputedStyle(e).borderTopWidth !== '0px' || getComputedStyle(e).borderLeftWidth !== '0px')
            .length""")
        assert borders == 1  # one box, not a box in a box
        page.close()
        result = Client(url, verbose=False).predict(handle_file(str(bundled_path("examples", "drawn_7.png"))),
                                                    api_name="/classify")
        assert result["label"] == "7"
        assert Client(url, verbose=False).predict(api_name="/health")["warnings"][0].startswith("Could not load")

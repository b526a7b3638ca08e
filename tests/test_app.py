"""The app as users reach it: the /classify API through gradio_client, and the page in Chromium."""
from __future__ import annotations

import re

import numpy as np
import pytest
from gradio_client import Client, handle_file

from glyph_vae.strokes import place_strokes, render_drawing


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
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("RGB", (400, 400), "white").save(blank)
    with pytest.raises(Exception, match="Draw a character first"):
        client.predict(handle_file(str(blank)), api_name="/classify")
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(Exception, match="not an image"):
        client.predict(handle_file(str(text)), api_name="/classify")
    ok = tmp_path / "a.png"
    render_drawing("A", seed=3, canvas=300, brush=20).save(ok)
    assert client.predict(handle_file(str(ok)), api_name="/classify")["label"] in ("A", "a")


def test_api_lists_classify(client):
    info = client.view_api(print_info=False, return_format="dict")
    assert "/classify" in info["named_endpoints"]


# -- the page ---------------------------------------------------------------

def drawing_area(page, pad="#read-pad", canvas_px=400):
    """Screen box of the sketchpad's white canvas: centred in the editor, scaled by its zoom."""
    canvas = page.locator(f"{pad} canvas").first.bounding_box()
    zoom_text = page.locator(pad).inner_text()
    zoom = int(re.search(r"(\d+)%", zoom_text).group(1)) / 100
    side = canvas_px * zoom
    return canvas["x"] + (canvas["width"] - side) / 2, canvas["y"] + (canvas["height"] - side) / 2, side


def draw_character(page, char, seed=0, pad="#read-pad", canvas_px=400):
    x0, y0, side = drawing_area(page, pad, canvas_px)
    strokes = place_strokes(char, np.random.default_rng(seed), 400, height=0.6, slant=0.15)
    for stroke in strokes:
        points = [(x0 + x * side / 400, y0 + y * side / 400) for x, y in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1::2] + [points[-1]]:
            page.mouse.move(*point, steps=2)
        page.mouse.up()


@pytest.fixture
def page(browser, app_url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(app_url)
    page.wait_for_selector("#read-pad canvas", timeout=30_000)
    page.wait_for_timeout(1000)
    yield page
    page.close()


def top_prediction(page) -> str:
    return page.locator("#read-label h2, #read-label .output-class").first.inner_text().strip()


def test_page_draw_with_the_mouse_and_read_it(page, tmp_path):
    assert "Draw a character" in page.locator("#read-hint").inner_text()  # friendly hint, no error
    draw_character(page, "7", seed=1)  # straight away: no tool to pick first
    page.wait_for_function("() => /7/.test(document.querySelector('#read-label').innerText)", timeout=20_000)
    assert top_prediction(page) == "7"
    page.screenshot(path=str(tmp_path / "read.png"))
    assert page.locator("#read-label").inner_text().count("%") == 5  # top 5 with confidences
    assert page.locator(".toast-body.error").count() == 0

    page.click("#read-clear")
    page.wait_for_function("() => document.querySelector('#read-hint').innerText.includes('Draw a character')")
    assert "%" not in page.locator("#read-label").inner_text()
    draw_character(page, "A", seed=2)
    page.wait_for_function(
        "() => { const h = document.querySelector('#read-label h2, #read-label .output-class');"
        " return h && /^[Aa]$/.test(h.innerText.trim()); }", timeout=20_000)


# -- Confuse this digit -----------------------------------------------------

def test_confuse_endpoint_returns_a_b_muddle_gif_and_json(client):
    a, b, muddle, gif, info = client.predict("3", None, 11, api_name="/confuse")
    from PIL import Image

    assert Image.open(a).size == Image.open(b).size
    assert Image.open(muddle).size[0] > Image.open(a).size[0]
    animation = Image.open(gif)
    assert animation.format == "GIF" and animation.n_frames >= 15
    assert info["digit"] == 3 and info["partner"] != 3 and 0 <= info["partner"] <= 9
    assert abs(sum(info["probabilities"].values()) - 1) < 1e-3
    again = client.predict("3", None, 11, api_name="/confuse")
    assert again[4] == info  # same seed, same muddle


def test_confuse_with_a_drawing_and_bad_inputs(client, tmp_path):
    path = tmp_path / "four.png"
    render_drawing("4", seed=2, canvas=300, brush=22).save(path)
    drawing = {"background": None, "layers": [], "composite": handle_file(str(path))}
    info = client.predict("8", drawing, 1, api_name="/confuse")[4]
    assert info["from_drawing"] and info["digit"] == 4  # the drawing wins over the chosen digit
    blank = tmp_path / "blank.png"
    from PIL import Image

    Image.new("RGB", (300, 300), "white").save(blank)
    info = client.predict("8", {"background": None, "layers": [], "composite": handle_file(str(blank))}, 1,
                          api_name="/confuse")[4]
    assert not info["from_drawing"] and info["digit"] == 8  # an empty pad means: use the chosen digit
    with pytest.raises(Exception, match="not in the list of choices"):
        client.predict("12", None, 1, api_name="/confuse")
    with pytest.raises(Exception, match="less than minimum value 0"):
        client.predict("3", None, -5, api_name="/confuse")
    with pytest.raises(Exception, match="seed must be a whole number"):
        client.predict("3", None, 2**64, api_name="/confuse")
    assert client.predict("3", None, 2, api_name="/confuse")[4]["digit"] == 3  # still answering


def test_page_pick_a_digit_and_see_a_muddle_and_gif(page):
    page.get_by_role("tab", name="Confuse this digit").click()
    page.locator("#confuse-digit label", has_text="5").click()
    page.click("#confuse-go")
    page.wait_for_selector("#confuse-muddle img", timeout=30_000)
    page.wait_for_selector("#confuse-gif img", timeout=30_000)
    page.wait_for_function("() => document.querySelector('#confuse-verdict').innerText.includes('reads as')",
                           timeout=30_000)
    assert page.locator("#confuse-gif img").get_attribute("src").split("?")[0].endswith(".gif")
    assert "reads as **5**" not in page.locator("#confuse-verdict").inner_text()  # rendered, not raw markdown
    assert page.locator("#confuse-verdict").inner_text().count("%") >= 2
    page.wait_for_selector("#confuse-map img", timeout=30_000)
    assert page.locator(".toast-body.error").count() == 0


def test_unloadable_model_falls_back_to_bundled_weights_with_a_visible_warning(tmp_path, browser):
    """GLYPH_VAE_MODEL naming a repo that is not in the (empty, offline) cache: the app still
    starts on the bundled weights and says which model it could not load and why."""
    from conftest import ROOT, running_app

    log = tmp_path / "app.log"
    with running_app(log, HF_HUB_CACHE=str(tmp_path / "empty-cache"),
                     GLYPH_VAE_MODEL="nobody/missing-model@v1") as url:
        assert "Could not load GlyphVAE from GLYPH_VAE_MODEL=nobody/missing-model@v1" in log.read_text()
        page = browser.new_page()
        page.goto(url)
        page.wait_for_selector(".load-warning", timeout=30_000)
        assert "nobody/missing-model" in page.locator(".load-warning").first.inner_text()
        page.close()
        result = Client(url, verbose=False).predict(handle_file(str(ROOT / "assets/examples/drawn_7.png")),
                                                    api_name="/classify")
        assert result["label"] == "7"

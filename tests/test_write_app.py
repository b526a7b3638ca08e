"""The Write like me tab through its two API endpoints and in a real browser."""
from __future__ import annotations

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from conftest import drawing_files
from test_app import draw_character


@pytest.fixture(scope="module")
def drawings(tmp_path_factory):
    return [handle_file(p) for p in drawing_files(tmp_path_factory.mktemp("style"), "AK7", 40, canvas=320, brush=14)]


def ink_columns(path) -> int:
    pixels = np.asarray(Image.open(path).convert("L"))
    return int((pixels < 128).any(0).sum())


def test_glyphs_returns_one_image_per_character_in_order(client, drawings):
    result = client.predict(drawings, "Ab c9", 0.0, 0, api_name="/glyphs")
    assert [item["caption"] for item in result] == ["A", "b", "c", "9"]
    for item in result:
        image = Image.open(item["image"])
        assert image.size == (112, 112)
        assert (np.asarray(image.convert("L")) < 128).any()  # ink on it


def test_write_returns_a_png_of_the_text_and_is_deterministic(client, drawings):
    first = client.predict(drawings, "Hello world", 0.5, 7, api_name="/write")
    again = client.predict(drawings, "Hello world", 0.5, 7, api_name="/write")
    assert open(first, "rb").read()[:8] == b"\x89PNG\r\n\x1a\n"
    assert open(first, "rb").read() == open(again, "rb").read()
    longer = client.predict(drawings, "Hello world, hello again", 0.5, 7, api_name="/write")
    assert ink_columns(longer) > ink_columns(first)


def test_write_without_drawings_uses_the_average_style(client):
    path = client.predict([], "Average", 0.0, 0, api_name="/write")
    assert ink_columns(path) > 50


def test_write_errors_name_the_problem(client, drawings, tmp_path):
    with pytest.raises(AppError, match="cannot draw"):
        client.predict(drawings, "a€", 0.0, 0, api_name="/glyphs")
    with pytest.raises(AppError, match="at most 500"):
        client.predict([], "a" * 100_000, 0.0, 0, api_name="/write")
    with pytest.raises(AppError, match="Randomness|less than minimum value 0"):  # ours or the slider's own check
        client.predict([], "abc", -1, 0, api_name="/write")
    text = tmp_path / "note.png"
    text.write_text("not an image")
    with pytest.raises(AppError, match="Style drawing 1"):
        client.predict([handle_file(str(text))], "abc", 0.0, 0, api_name="/write")
    # and the server still answers
    assert client.predict([], "ok", 0.0, 0, api_name="/write")


@pytest.fixture
def write_tab(browser, app_url):
    """A fresh page on the Write like me tab, its first page (the average style) shown."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(app_url)
    page.get_by_role("tab", name="Write like me").click()
    page.wait_for_selector("#style-pad-1 canvas", timeout=30_000)
    page.wait_for_selector("#write-output img", timeout=30_000)
    page.wait_for_timeout(800)
    yield page
    page.close()


def wait_for_new_output(page, before: str, timeout: int) -> None:
    page.wait_for_function(
        "(old) => { const img = document.querySelector('#write-output img'); return img && img.src !== old; }",
        arg=before, timeout=timeout)


def test_page_draw_two_characters_type_a_word_get_an_image(write_tab):
    page = write_tab
    draw_character(page, "A", seed=2, pad="#style-pad-1", canvas_px=240)
    page.wait_for_function("() => document.querySelector('#style-read-1').innerText.includes('read as')",
                           timeout=20_000)
    draw_character(page, "K", seed=3, pad="#style-pad-2", canvas_px=240)
    page.wait_for_function("() => document.querySelector('#style-read-2').innerText.includes('read as')",
                           timeout=20_000)
    assert "2" in page.locator("#style-note").inner_text()  # style from 2 drawings
    before = page.locator("#write-output img").get_attribute("src")
    page.fill("#write-text textarea", "Gradio")
    page.click("#write-go")
    wait_for_new_output(page, before, timeout=20_000)
    assert page.locator(".toast-body.error").count() == 0


def test_page_example_style_loads_with_one_click(write_tab):
    page = write_tab
    before = page.locator("#write-output img").get_attribute("src")
    page.get_by_role("button", name="Italic").click()
    page.wait_for_function("() => /Style from 5 drawings/.test(document.querySelector('#style-note').innerText)",
                           timeout=30_000)
    wait_for_new_output(page, before, timeout=30_000)
    slant = page.locator("#style-axis-2 input[type=number]").input_value()
    assert float(slant) > 0.5  # the italic drawings put the slant slider well to the right

"""Write like me's downloads as users reach them: /font and /write_svg through gradio_client,
and the tab's font preview in Chromium, rendered with the font the app made."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from fontTools.ttLib import TTFont
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from glyph_vae.models.hub import bundled_path
from harness.browser import draw_character, output_src, wait_for_new_output


@pytest.fixture(scope="module")
def drawings():
    return [handle_file(str(bundled_path("style_examples", "bold", f"{c}.png"))) for c in "AK"]


def test_font_endpoint_returns_a_ttf_and_a_woff2(client, drawings):
    ttf, woff2 = client.predict(drawings, "Bold Hand", 2, 0.3, 4, api_name="/font")
    font = TTFont(ttf)
    assert font["name"].getDebugName(1) == "Bold Hand" and ttf.endswith("Bold-Hand.ttf")
    assert TTFont(woff2).flavor == "woff2"
    assert "a.alt1" in font.getGlyphOrder() and "a.alt2" not in font.getGlyphOrder()
    again, _ = client.predict(drawings, "Bold Hand", 2, 0.3, 4, api_name="/font")
    assert open(again, "rb").read() == open(ttf, "rb").read()


def test_write_svg_endpoint_gives_outlines_or_plotter_lines(client, drawings):
    outline = client.predict(drawings, "Hi there", 0.3, 1, "outline", api_name="/write_svg")
    single = client.predict(drawings, "Hi there", 0.3, 1, "single_line", api_name="/write_svg")
    for path, fill in ((outline, "#161b30"), (single, "none")):
        root = ET.parse(path).getroot()
        assert root.tag.endswith("svg") and len(root.findall(".//{http://www.w3.org/2000/svg}path")) == 7
        assert root.find("{http://www.w3.org/2000/svg}g").get("fill") == fill


@pytest.mark.parametrize("api,args,message", [
    ("/font", ([], "Hand", 0, 0.3, 1), "alternates must be a whole number from 1 to 5, not 0"),
    ("/font", ([], "Hand", 9, 0.3, 1), "not 9"),
    ("/font", ([], "x" * 500, 3, 0.3, 1), "at most 40"),
    ("/font", ([], "Hand\n", 3, 0.3, 1), "control character"),
    ("/write_svg", ([], "abc", 0.3, 1, "fill"), "kind of SVG must be one of 'outline', 'single_line'"),
    ("/write_svg", ([], "abc", 2.0, 1, "outline"), "Randomness must be between 0 and 1"),
])
def test_bad_download_arguments_are_named(client, api, args, message):
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name=api)


def test_page_make_a_font_and_see_it_as_a_font(write_page, tmp_path):
    page = write_page
    draw_character(page, "A", seed=2, pad="#style-pad-1")
    draw_character(page, "K", seed=3, pad="#style-pad-2")
    page.wait_for_function("() => document.querySelector('#style-read-2').innerText.includes('read as')",
                           timeout=20_000)
    # The page in the two drawn characters' style, punctuation and all, drawn from pen strokes.
    before = output_src(page)
    page.fill("#write-text textarea", "Hi, is This mij? (quick 1-2)")
    page.click("#write-go")
    wait_for_new_output(page, before)
    page.locator("#write-output").screenshot(path=str(tmp_path / "written-page.png"))
    assert page.locator(".toast-body.warning").count() == 0  # nothing left as a gap
    page.fill("#font-name textarea, #font-name input", "Test Preview")
    page.click("#downloads-go")
    page.wait_for_function("() => document.querySelector('#font-preview .font-status').innerText.includes('Your font')",
                           timeout=60_000)
    family = page.evaluate("() => getComputedStyle(document.querySelector('#font-preview .font-preview')).fontFamily")
    assert family.startswith('"Test Preview ')
    loaded = page.evaluate("() => [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")
    assert family.split(",")[0] in loaded  # the box is set in the font the app made, as the browser loaded it
    assert page.evaluate(f"() => document.fonts.check('34px {family.split(',')[0]}')")
    for button in ("ttf", "woff2", "svg", "single-line", "print"):
        assert page.locator(f"#download-{button}").is_enabled()
    page.locator("#downloads").screenshot(path=str(tmp_path / "font-preview.png"))
    assert page.locator(".toast-body.error").count() == 0

"""The Write like me tab through its two API endpoints and in a real browser."""
from __future__ import annotations

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from harness.browser import draw_on_lines, draw_character, output_src, wait_for_new_output
from harness.drawings import drawing_files


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


def test_write_errors_name_the_problem_in_the_apps_words(client, drawings, tmp_path):
    with pytest.raises(AppError, match="cannot draw '€'"):
        client.predict(drawings, "a€", 0.0, 0, api_name="/glyphs")
    with pytest.raises(AppError, match="at most 500"):
        client.predict([], "a" * 100_000, 0.0, 0, api_name="/write")
    with pytest.raises(AppError, match="Randomness must be between 0 and 1 .*not -1"):
        client.predict([], "abc", -1, 0, api_name="/write")
    with pytest.raises(AppError, match="The seed must be a whole number from 0 to 2\\^63-1, not 1.5"):
        client.predict([], "abc", 0.0, 1.5, api_name="/write")  # not silently rounded
    text = tmp_path / "note.png"
    text.write_text("not an image")
    with pytest.raises(AppError, match="Style drawing 1: note.png is not an image"):
        client.predict([handle_file(str(text))], "abc", 0.0, 0, api_name="/write")
    # and the server still answers
    assert client.predict([], "ok", 0.0, 0, api_name="/write")


# -- the page ---------------------------------------------------------------------------------

def test_page_draw_two_characters_type_a_word_get_an_image(write_page):
    page = write_page
    draw_character(page, "A", seed=2, pad="#style-pad-1")
    page.wait_for_function("() => document.querySelector('#style-read-1').innerText.includes('read as')",
                           timeout=20_000)
    draw_character(page, "K", seed=3, pad="#style-pad-2")
    page.wait_for_function("() => document.querySelector('#style-read-2').innerText.includes('read as')",
                           timeout=20_000)
    assert "Style from 2 drawings" in page.locator("#style-note").inner_text()
    before = output_src(page)
    page.fill("#write-text textarea", "Gradio")
    page.click("#write-go")
    wait_for_new_output(page, before)
    assert page.locator(".toast-body.error").count() == 0


def test_page_letters_written_on_the_lines_give_the_page_the_writers_proportions(write_page):
    page = write_page
    for number, (char, size) in enumerate((("H", 1.0), ("a", 0.8), ("g", 0.8)), 1):
        draw_on_lines(page, char, seed=number, pad=f"#style-pad-{number}", size=size)
        page.wait_for_function(f"() => document.querySelector('#style-read-{number}').innerText.includes('read as')",
                               timeout=20_000)
    page.wait_for_function("() => document.querySelector('#style-note').innerText.includes('Your proportions')",
                           timeout=20_000)
    note = page.locator("#style-note").inner_text()
    # small letters written at 0.8 of the guides: about 0.4 of the capitals (the guides' own 0.5, times 0.8)
    shown = int(note.split("small letters ")[1].split("%")[0])
    assert 35 <= shown <= 48, note


def test_page_the_written_page_and_the_examples_are_in_view_while_drawing(write_page):
    page = write_page
    viewport = page.viewport_size
    for selector in ("#write-output img", "#style-pad-1 canvas", "#style-pad-6 canvas", "#style-example-bold"):
        box = page.locator(selector).bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (selector, box)


def test_page_an_example_replaces_the_drawings_and_keeps_the_text(write_page):
    page = write_page
    draw_character(page, "R", seed=4, pad="#style-pad-6")
    page.wait_for_function("() => document.querySelector('#style-read-6').innerText.includes('read as')",
                           timeout=20_000)
    page.fill("#write-text textarea", "My own words")
    before = output_src(page)
    page.click("#style-example-italic")
    page.wait_for_function("() => /italic example: style from 5 drawings/.test("
                           "document.querySelector('#style-note').innerText)", timeout=30_000)
    assert page.input_value("#write-text textarea") == "My own words"  # the text is kept
    assert page.locator("#style-read-6").inner_text() == "empty"  # the user's R is replaced, not added
    for i in range(1, 6):  # the example's drawings are in the pads, where the user sees them
        assert "read as" in page.locator(f"#style-read-{i}").inner_text()
        page.wait_for_function(f"() => document.querySelector('#style-pad-{i} .pad-frame').classList.contains('inked')")
    wait_for_new_output(page, before)
    assert float(page.locator("#style-axis-2 input[type=number]").input_value()) > 0.5  # slant to the right


def test_page_clear_all_clears_everything_it_says(write_page):
    page = write_page
    average = output_src(page)
    page.click("#style-example-bold")
    page.wait_for_function("() => /bold example/.test(document.querySelector('#style-note').innerText)",
                           timeout=30_000)
    wait_for_new_output(page, average)
    before = output_src(page)
    page.click("#style-clear")
    page.wait_for_function("() => /average style/.test(document.querySelector('#style-note').innerText)",
                           timeout=30_000)
    for i in range(1, 7):
        assert page.locator(f"#style-read-{i}").inner_text() == "empty"
        assert not page.evaluate(f"() => document.querySelector('#style-pad-{i} .pad-frame').classList.contains('inked')")
    wait_for_new_output(page, before)
    assert output_src(page) == average  # the average style's page again, byte for byte


def test_a_misread_style_pad_is_corrected_and_the_style_uses_the_character_it_is(write_page):
    """Each ruled style pad says what it read; picking another character under it makes the
    style use that one (the note lists it), and drawing on the pad again starts from "as read"."""
    from harness.browser import draw_on_lines

    page = write_page
    before = output_src(page)
    draw_on_lines(page, "g", seed=2, pad="#style-pad-1")
    page.wait_for_function("() => document.querySelector('#style-read-1').innerText.includes('read as')")
    read = page.locator("#style-read-1 strong").first.inner_text().strip()
    said = "q" if read != "q" else "9"
    page.click("#style-fix-1 input")
    page.get_by_role("option", name=said, exact=True).click()
    page.wait_for_function(f"() => document.querySelector('#style-read-1').innerText.includes('it is {said}')")
    page.wait_for_function(f"() => document.querySelector('#style-note').innerText.includes('(read as {said})')")
    wait_for_new_output(page, before)
    # Drawing on the pad again: the correction was for the drawing before.
    page.click("#style-pad-1 .pad-clear")
    draw_on_lines(page, "K", seed=3, pad="#style-pad-1")
    page.wait_for_function("() => document.querySelector('#style-note').innerText.includes('(read as K)')")
    assert page.locator("#style-fix-1 input").input_value() == "✓"  # as read


def boxes_overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def test_page_the_label_and_buttons_do_not_cover_the_written_page(write_page):
    page = write_page
    image = page.locator("#write-output img").bounding_box()
    for selector in ("#write-output label", "#write-output .icon-button-wrapper"):
        assert not boxes_overlap(page.locator(selector).bounding_box(), image), selector


def test_page_a_number_typed_in_a_slider_box_or_the_seed_box_applies_on_enter_and_on_leaving(write_page):
    page = write_page
    for box, value, key in (("#style-axis-2 input[type=number]", "1.5", "Enter"),
                            ("#style-axis-0 input[type=number]", "-1", "Tab"),
                            ("#write-seed input", "5", "Enter"),
                            ("#write-seed input", "6", "Tab")):
        before = output_src(page)
        page.fill(box, value)
        page.press(box, key)
        wait_for_new_output(page, before)  # the page is rewritten with the number


def test_phone_the_written_page_is_right_under_the_pads_and_the_style_files_fold_away(browser, app_url):
    from harness.browser import PHONE

    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(app_url)
    page.get_by_role("tab", name="Write like me").click()
    page.wait_for_selector("#write-output img", timeout=30_000)
    pads, written = page.locator("#style-pad-6").bounding_box(), page.locator("#write-output").bounding_box()
    note = page.locator("#style-note").bounding_box()
    assert pads["y"] < note["y"] < written["y"] < note["y"] + note["height"] + 40  # the pads, their note, the page
    assert page.locator("#write-text").bounding_box()["y"] > written["y"]
    assert not page.locator("#style-save").is_visible()  # "Your style" is folded
    assert not boxes_overlap(page.locator("#write-output label").bounding_box(),
                             page.locator("#write-output img").bounding_box())
    context.close()

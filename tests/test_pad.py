"""The app's drawing pad in Chromium: drawn with the mouse and with a finger, cleared, undone,
and set by the server, with the same reading as the same image sent as a file."""
from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from glyph_vae import GlyphVAE, normalize_glyph, read
from glyph_vae.testing.drawings import place_strokes
from glyph_vae.pipelines.ruled import read_ruled
from harness.browser import PHONE, draw_character, draw_on_lines, draw_with_finger


def pad_png(page, pad: str) -> Image.Image:
    """What the pad holds, as the PNG it sends."""
    url = page.evaluate(f"() => document.querySelector('{pad} canvas').toDataURL('image/png')")
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))


def wait_for_reading(page, pattern: str = "%") -> None:
    page.wait_for_function(f"() => /{pattern}/.test(document.querySelector('#read-label').innerText)",
                           timeout=20_000)


def test_the_pad_reads_what_it_shows_as_the_server_reads_the_same_image(read_page):
    page = read_page
    draw_character(page, "5", seed=3)
    wait_for_reading(page)
    shown = page.locator("#read-label h2, #read-label .output-class").first.inner_text().strip()
    # The canvas's own PNG, read in-process as /classify_ruled reads it: the same top reading.
    assert read_ruled(GlyphVAE.from_pretrained(), pad_png(page, "#read-pad")).character == shown
    canvas = page.locator("#read-pad canvas").bounding_box()
    assert canvas["width"] == pytest.approx(canvas["height"], abs=1)  # a square, shown at full size
    assert canvas["width"] == pytest.approx(400, abs=1)


def shown_reading(page) -> str:
    return page.locator("#read-label h2, #read-label .output-class").first.inner_text().strip()


def test_the_read_pad_is_ruled_and_reads_case_and_descenders_from_the_lines(read_page, tmp_path):
    """A small o, a tall O and a g with its tail below the baseline, written on the Read pad's
    guides with the mouse: read as o, O (or 0) and g. The guides are the page's, not the ink's."""
    page = read_page
    guides = page.locator("#read-pad .pad-guides line")
    assert guides.count() == 4
    assert [round(float(guides.nth(i).get_attribute("y1").rstrip("%"))) for i in range(4)] == [22, 46, 70, 88]
    for char, expected in (("o", {"o"}), ("O", {"O", "0"}), ("g", {"g"})):
        draw_on_lines(page, char, seed=4)
        png = pad_png(page, "#read-pad")
        # the reading follows the pen (a half-drawn o is a u): wait for the last one to be the right one
        try:
            page.wait_for_function("(chars) => { const top = document.querySelector('#read-label h2, #read-label "
                                   ".output-class'); return top && chars.includes(top.innerText.trim()); }",
                                   arg=sorted(expected), timeout=20_000)
        except Exception as exc:
            page.screenshot(path=str(tmp_path / f"ruled_{char}.png"))
            raise AssertionError((char, shown_reading(page),
                                  read_ruled(GlyphVAE.from_pretrained(), png).top(3))) from exc
        assert np.asarray(png)[..., 3].mean() < 40  # only the ink in the PNG: no guides
        page.click("#read-pad .pad-clear")
        page.wait_for_function("() => document.querySelector('#read-hint').innerText.includes('Draw a character')")


def test_a_dot_on_the_read_pad_is_too_small_to_read(read_page):
    page = read_page
    box = page.locator("#read-pad canvas").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.6)
    page.wait_for_function("() => document.querySelector('#read-hint').innerText.includes('Too small to read')",
                           timeout=20_000)
    assert "%" not in page.locator("#read-label").inner_text()


def test_clearing_right_after_the_pen_lifts_never_brings_the_old_reading_back(read_page):
    page = read_page
    """A reading still on its way when the pad is cleared never shows: the clear's own answer
    comes after it, and until then the page hides what was read from the drawing that is gone."""
    page.evaluate("""() => {
        window.readingsAfterClear = [];
        const label = document.querySelector('#read-label');
        document.querySelector('#read-pad .pad-clear').addEventListener('click', () => {
            window.cleared = true;
            new MutationObserver(() => {
                const top = label.querySelector('.output-class, h2');
                if (top && label.innerText.includes('%') && getComputedStyle(top).visibility === 'visible')
                    window.readingsAfterClear.push(top.innerText.trim());  // what a user can see
            })
                .observe(label, {childList: true, subtree: true, characterData: true});
        });
    }""")
    draw_character(page, "8", seed=1)
    page.click("#read-pad .pad-clear")  # at once, before the reading is back
    page.wait_for_function("() => document.querySelector('#read-hint').innerText.includes('Draw a character')")
    assert not page.evaluate("() => document.querySelector('#read-pad .pad-frame').classList.contains('inked')")
    # A later drawing's reading is answered after anything still on its way for the 8, so
    # once it shows, every answer the 8 could have had has come (or was cancelled).
    draw_character(page, "1", seed=2)
    wait_for_reading(page)
    page.wait_for_function("() => document.querySelector('#read-label .output-class, #read-label h2')"
                           ".innerText.trim() === '1'", timeout=20_000)
    shown = page.evaluate("window.readingsAfterClear")
    assert shown and "8" not in shown, shown


def test_undo_takes_back_the_last_stroke(read_page):
    page = read_page
    draw_character(page, "H", seed=2)  # three strokes
    wait_for_reading(page)
    before = np.asarray(pad_png(page, "#read-pad"))[..., 3]
    page.click("#read-pad .pad-undo")
    after = np.asarray(pad_png(page, "#read-pad"))[..., 3]
    assert 0 < (after > 0).sum() < (before > 0).sum()
    page.click("#read-pad .pad-undo")
    page.click("#read-pad .pad-undo")  # nothing left to undo: no error
    page.wait_for_function("() => document.querySelector('#read-hint').innerText.includes('Draw a character')")
    assert page.locator(".toast-body.error").count() == 0


def test_a_finger_draws_on_a_phone_and_the_page_does_not_scroll(browser, app_url, tmp_path):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(app_url)
    page.wait_for_selector("#read-pad canvas", timeout=30_000)
    page.locator("#read-pad canvas").scroll_into_view_if_needed()
    scrolled = page.evaluate("() => window.scrollY")
    assert page.evaluate("() => getComputedStyle(document.querySelector('#read-pad canvas')).touchAction") == "none"
    draw_with_finger(page, "7", seed=1)
    wait_for_reading(page)
    assert page.evaluate("() => window.scrollY") == scrolled  # drawing moved the pen, not the page
    box = page.locator("#read-pad canvas").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # the pad fits a 390 px wide screen
    page.screenshot(path=str(tmp_path / "phone.png"))
    context.close()


def test_every_pad_is_labelled_for_screen_readers(read_page):
    page = read_page
    labels = page.evaluate("() => [...document.querySelectorAll('.glyph-pad canvas')].map(c => c.getAttribute('aria-label'))")
    assert labels and all(label and label.endswith("drawing area") for label in labels)
    buttons = page.evaluate("() => [...document.querySelectorAll('.glyph-pad button')].map(b => b.getAttribute('aria-label'))")
    assert all(b and (b.startswith("Undo") or b.startswith("Clear")) for b in buttons)


def test_a_drawing_sent_as_a_data_url_is_the_same_glyph_as_the_file(tmp_path):
    """What a pad sends (a data: URL) and the same PNG as a file become the same glyph."""
    from glyph_vae.testing.drawings import render_drawing
    from glyph_vae.ui.pad import image_value

    path = tmp_path / "g.png"
    render_drawing("G", 5, canvas=400, brush=20).save(path)
    assert np.array_equal(normalize_glyph(image_value(path)), normalize_glyph(str(path)))


@pytest.mark.parametrize("name", ["3", "5", "7", "A", "K", "R"])
def test_an_example_goes_into_the_pad_and_reads_as_its_file(read_page, name):
    """A bundled example drawing, clicked, is what the pad holds, pixel for pixel the same glyph
    as the file, and the page shows the file's reading (the one normalisation)."""
    from glyph_vae.ui.read_tab import EXAMPLES

    page = read_page
    page.get_by_role("button", name=f"Example drawing of {name}").click()
    wait_for_reading(page)
    page.wait_for_function("() => document.querySelector('#read-pad .pad-frame').classList.contains('inked')")
    assert np.array_equal(normalize_glyph(pad_png(page, "#read-pad")), normalize_glyph(EXAMPLES[name]))
    shown = page.locator("#read-label h2, #read-label .output-class").first.inner_text().strip()
    assert shown == read(GlyphVAE.from_pretrained(), EXAMPLES[name]).character
    # Drawing over the example reads the pad's new drawing, not the example.
    page.click("#read-pad .pad-clear")
    page.wait_for_function("() => document.querySelector('#read-hint').innerText.includes('Draw a character')")


def reading_visible(page) -> bool:
    """Whether a user sees the reading and both glyphs (not hidden as a cleared pad's)."""
    return page.evaluate("""() => ['#read-label .container', '#read-seen img', '#read-redrawn img'].every(s => {
        const e = document.querySelector(s); return e && getComputedStyle(e).visibility === 'visible'; })""")


def test_after_clear_or_undo_an_example_or_an_upload_shows_its_reading(read_page):
    from glyph_vae.models.hub import bundled_path

    page = read_page
    draw_character(page, "4", seed=1)
    wait_for_reading(page)
    page.click("#read-pad .pad-clear")
    page.wait_for_function("() => document.querySelector('#read-hint').innerText.includes('Draw a character')")
    page.get_by_role("button", name="Example drawing of K").click()
    page.wait_for_function("() => document.querySelector('#read-pad .pad-frame').classList.contains('inked')")
    wait_for_reading(page)
    page.wait_for_selector("#read-seen img", timeout=20_000)
    assert reading_visible(page)

    page.click("#read-pad .pad-clear")
    draw_character(page, "H", seed=2)  # three strokes, each undone: Undo back to an empty pad
    for _ in range(3):
        page.click("#read-pad .pad-undo")
    assert not page.evaluate("() => document.querySelector('#read-pad .pad-frame').classList.contains('inked')")
    page.wait_for_function("() => document.querySelector('#read-hint').innerText.includes('Draw a character')")
    page.get_by_text("Or upload a picture of a character").click()
    page.locator("#read-upload input[type=file]").set_input_files(str(bundled_path("examples", "drawn_R.png")))
    page.wait_for_function("() => document.querySelector('#read-pad .pad-frame').classList.contains('inked')",
                           timeout=20_000)
    wait_for_reading(page)
    page.wait_for_selector("#read-seen img", timeout=20_000)
    assert reading_visible(page)
    assert page.locator(".toast-body.error").count() == 0


@pytest.fixture
def slow_read_app(tmp_path, models, confuser):
    """The app in-process with a reader that takes 1.5 s a drawing (slower than strokes come),
    counting its calls and the most that ran at once."""
    import threading
    import time

    from glyph_vae.serving import OutputFiles
    from glyph_vae.ui import build_demo, launch_options
    from glyph_vae.ui import read_tab

    stats = {"calls": 0, "running": 0, "most_at_once": 0}
    lock = threading.Lock()
    real_read = read_tab.read_ruled  # the Read pad reads on the lines

    def slow_read(model, drawing):
        with lock:
            stats["calls"] += 1
            stats["running"] += 1
            stats["most_at_once"] = max(stats["most_at_once"], stats["running"])
        try:
            time.sleep(1.5)
            return real_read(model, drawing)
        finally:
            with lock:
                stats["running"] -= 1

    read_tab.read_ruled = slow_read
    demo = build_demo(models, OutputFiles(tmp_path / "outputs"), confuser=confuser)
    options = launch_options()
    options.pop("mcp_server")
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **options)
    try:
        yield url, stats
    finally:
        demo.close()
        read_tab.read_ruled = real_read


@pytest.mark.server
def test_strokes_faster_than_answers_do_not_pile_up_and_the_last_answer_shows(browser, slow_read_app):
    url, stats = slow_read_app
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url)
    page.wait_for_selector("#read-pad canvas", timeout=30_000)
    # Stroke after stroke, each ending (and the live pad sending while it moves) faster than
    # the 1.5 s answer comes back.
    characters = "EW17LH"
    for i, char in enumerate(characters):
        draw_character(page, char, seed=i, every=3)
    strokes = sum(len(place_strokes(c, np.random.default_rng(i), 400)) for i, c in enumerate(characters))
    final = read_ruled(GlyphVAE.from_pretrained(), pad_png(page, "#read-pad")).top(5)
    # The page ends on the reading of the drawing as it is now: its top five as gr.Label shows them.
    expected = [f"{c}\n{p:.0%}" for c, p in final.items()]
    page.wait_for_function("""(expected) => {
        const rows = [...document.querySelectorAll('#read-label .confidence-set')].map(r => r.innerText.trim());
        return JSON.stringify(rows.map(r => r.replace(/\\s+/g, ' '))) === JSON.stringify(expected.map(e => e.replace(/\\s+/g, ' ')));
    }""", arg=expected, timeout=30_000)
    assert stats["most_at_once"] == 1, stats  # one request on its way at a time, never a pile
    assert 1 <= stats["calls"] < strokes, stats  # later strokes' requests replaced waiting ones
    page.close()

"""Style files through the app: /style, /write_with_style, /font_with_style,
/write_svg_with_style, /mix and /morph through gradio_client, and "Your style" in Chromium
(save a style, clear the drawings, load the file: the same page)."""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from glyph_vae.models.hub import bundled_path
from harness.browser import output_src, wait_for_new_output


def read(path) -> bytes:
    return Path(path).read_bytes()


@pytest.fixture(scope="module")
def drawings():
    return [handle_file(str(bundled_path("style_examples", "bold", f"{c}.png"))) for c in "AK7"]


@pytest.fixture(scope="module")
def style_file(client, drawings):
    path, characters = client.predict(drawings, api_name="/style")
    assert characters == "AK7"
    return path


def example(name: str):
    return handle_file(str(bundled_path("style_examples", f"{name}.json")))


def test_style_gives_a_small_style_file_of_the_apps_model(client, style_file):
    document = json.loads(read(style_file))
    health = client.predict(api_name="/health")["models"]["GlyphVAE"]
    assert document["model"] == {"sha256": health["sha256"], "config": health["config"]}
    assert document["posterior"]["count"] == 3 and document["characters"] == "AK7"
    assert len(read(style_file)) < 8_000


def test_a_style_file_writes_what_its_drawings_write_everywhere(client, drawings, style_file):
    style = handle_file(style_file)
    assert read(client.predict(style, "Hello world", 0.5, 7, api_name="/write_with_style")) == \
        read(client.predict(drawings, "Hello world", 0.5, 7, api_name="/write"))
    ttf, woff2 = client.predict(style, "Bold Hand", 2, 0.3, 1, api_name="/font_with_style")
    ttf_d, woff2_d = client.predict(drawings, "Bold Hand", 2, 0.3, 1, api_name="/font")
    assert read(ttf) == read(ttf_d) and read(woff2) == read(woff2_d)
    svg = client.predict(style, "Hi there", 0.2, 3, "single_line", api_name="/write_svg_with_style")
    assert read(svg) == read(client.predict(drawings, "Hi there", 0.2, 3, "single_line", api_name="/write_svg"))


def test_mix_weight_0_and_1_give_the_two_files_back_and_0_5_lies_between(client):
    narrow, wide = example("narrow"), example("wide")
    assert read(client.predict(narrow, wide, 0, api_name="/mix")) == read(bundled_path("style_examples", "narrow.json"))
    assert read(client.predict(narrow, wide, 1, api_name="/mix")) == read(bundled_path("style_examples", "wide.json"))
    half = json.loads(read(client.predict(narrow, wide, 0.5, api_name="/mix")))
    a, b = (json.loads(read(bundled_path("style_examples", f"{n}.json"))) for n in ("narrow", "wide"))
    for x, y, m in zip(a["posterior"]["mean"], b["posterior"]["mean"], half["posterior"]["mean"]):
        assert abs(m - (x + y) / 2) < 1e-6
    assert half["name"] == "Narrow + Wide (50%)"
    with pytest.raises(AppError, match="mixing weight must be between 0 and 1"):
        client.predict(narrow, wide, 1.5, api_name="/mix")


def test_morph_is_a_looping_gif_of_the_steps(client):
    gif = Image.open(io.BytesIO(read(client.predict(example("light"), example("bold"), "Ink", 6,
                                                    api_name="/morph"))))
    assert gif.format == "GIF" and gif.n_frames == 10 and gif.info["loop"] == 0  # 6 steps forth, 4 back
    with pytest.raises(AppError, match="number of morph steps must be a whole number from 2 to 24"):
        client.predict(example("light"), example("bold"), "Ink", 25, api_name="/morph")
    with pytest.raises(AppError, match="at most 24"):
        client.predict(example("light"), example("bold"), "x" * 30, 4, api_name="/morph")


def test_a_malformed_or_foreign_style_file_is_an_error_naming_the_problem(client, tmp_path, style_file):
    cases = {"not-json.json": (b"hello", "not valid JSON"),
             "nan.json": (read(style_file).replace(b'"count": 3', b'"count": NaN'), "NaN, which is not a number"),
             "version.json": (re.sub(rb'"version": \d+', b'"version": 7', read(style_file)), "format version 7")}
    document = json.loads(read(style_file))
    document["model"] = {"sha256": "feedfacefeedface", "config": {**document["model"]["config"], "latent_dim": 8}}
    for key in ("mean", "logvar", "hand_logvar"):
        document["posterior"][key] = document["posterior"][key][:8]
    cases["other-model.json"] = (json.dumps(document).encode(), "feedfacefeedface \\(8-d latent\\).*64-d latent")
    for name, (data, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(AppError, match=message):
            client.predict(handle_file(str(path)), "abc", 0.0, 0, api_name="/write_with_style")
    assert client.predict(handle_file(style_file), "ok", 0.0, 0, api_name="/write_with_style")  # still answering


# -- the page ---------------------------------------------------------------------------------

def upload_input(page, button: str):
    """The file input of an upload button (Gradio puts it just before the button)."""
    return page.locator(button).locator("xpath=preceding-sibling::input[@type='file'][1]")


def note(page) -> str:
    return page.locator("#style-note").inner_text()


def open_style_files(page) -> None:
    """Unfold "Your style" (folded at first, so that the written page stays near the pads)."""
    page.get_by_text("Your style: save, load, mix, morph").click()
    page.wait_for_selector("#style-save", state="visible")


def error_badges(page) -> list:
    """The components marked with Gradio's red "Error" badge (an event that raised marks its outputs)."""
    return page.evaluate("""() => [...document.querySelectorAll('[id] > .wrap')]
        .filter(w => getComputedStyle(w).display !== 'none' && /error/i.test(w.innerText)).map(w => w.parentElement.id)""")


def test_page_save_a_style_clear_the_drawings_load_it_and_get_the_same_page(write_page, tmp_path):
    page = write_page
    open_style_files(page)
    before = output_src(page)
    page.click("#style-example-italic")
    page.wait_for_function("() => /italic example/.test(document.querySelector('#style-note').innerText)",
                           timeout=30_000)
    wait_for_new_output(page, before)
    page.fill("#style-name textarea", "Wide italic")  # the file is rewritten with the page, name included
    before = output_src(page)
    box = page.locator("#style-axis-0 input[type=range]").bounding_box()  # the width slider, clicked to 80%
    page.mouse.click(box["x"] + 0.8 * box["width"], box["y"] + box["height"] / 2)
    wait_for_new_output(page, before)
    moved = page.locator("#style-axis-0 input[type=number]").input_value()
    mine = output_src(page)
    mine_png = page.request.get(mine).body()

    with page.expect_download() as download:
        page.click("#style-save")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "Wide-italic.json" and json.loads(saved.read_text())["name"] == "Wide italic"

    page.click("#style-clear")
    page.wait_for_function("() => /average style/.test(document.querySelector('#style-note').innerText)",
                           timeout=30_000)
    wait_for_new_output(page, mine)

    average = output_src(page)
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "glyphvae-style"')
    upload_input(page, "#style-load").set_input_files(str(broken))
    page.wait_for_selector(".toast-body.error", timeout=30_000)
    assert "not valid JSON" in page.locator(".toast-body.error").first.inner_text()
    assert page.locator(".toast-body.error").count() == 1  # one message
    assert error_badges(page) == []  # and no component marked: the page keeps its look
    assert "average style" in note(page) and output_src(page) == average  # the style is kept as it was

    upload_input(page, "#style-load").set_input_files(str(saved))
    page.wait_for_function("() => /Loaded the style Wide italic/.test(document.querySelector('#style-note').innerText)",
                           timeout=30_000)
    wait_for_new_output(page, average)
    assert page.locator("#style-axis-0 input[type=number]").input_value() == moved
    assert output_src(page) == mine  # the same page, byte for byte (files are named by their content)
    assert page.request.get(output_src(page)).body() == mine_png


def test_page_an_example_file_then_a_second_file_morphed_and_mixed(write_page, tmp_path):
    page = write_page
    open_style_files(page)
    before = output_src(page)
    page.click("#style-file-narrow")
    page.wait_for_function("() => /example style file Narrow/.test(document.querySelector('#style-note').innerText)",
                           timeout=30_000)
    wait_for_new_output(page, before)
    upload_input(page, "#style-second").set_input_files(str(bundled_path("style_examples", "wide.json")))
    page.wait_for_function("() => /my file: Wide/.test(document.querySelector('#style-second-choice').innerText)",
                           timeout=30_000)  # the second style is the file just loaded
    page.fill("#morph-word textarea", "Mix")
    page.click("#morph-go")
    page.wait_for_selector("#morph-gif img", timeout=30_000)
    page.wait_for_selector("#morph-strip img", timeout=30_000)
    gif = Image.open(io.BytesIO(page.request.get(page.locator("#morph-gif img").get_attribute("src")).body()))
    assert gif.format == "GIF" and gif.n_frames == 14  # 8 steps forth and 6 back
    before = output_src(page)
    page.click("#style-mix")
    page.wait_for_function("() => /A mix: 50% of the way from your style to Wide/.test("
                           "document.querySelector('#style-note').innerText)",
                           timeout=30_000)
    wait_for_new_output(page, before)
    assert page.locator(".toast-body.error").count() == 0
    other = json.loads(read(bundled_path("style_examples", "bold.json")))
    ours = other["model"]["sha256"]  # the bundled weights' (a test checks the example files against them)
    other["model"]["sha256"] = "0123456789abcdef"  # other weights, the same latent size
    path = tmp_path / "other-weights.json"
    path.write_text(json.dumps(other))
    upload_input(page, "#style-load").set_input_files(str(path))
    page.wait_for_selector(".toast-body.warning", timeout=30_000)  # loaded, with a warning naming both models
    warning = page.locator(".toast-body.warning").first.inner_text()
    assert "0123456789abcdef" in warning and ours in warning
    page.wait_for_function("() => /made with other weights/.test(document.querySelector('#style-note').innerText)",
                           timeout=30_000)


def test_phone_a_far_style_stretches_its_slider_and_messages_come_one_at_a_time_at_the_bottom(
        browser, app_url, tmp_path):
    """A style whose slant lies 2 past the slider's end: the slider shows it, its range stretched.
    Then a style of other weights (a warning) and a broken file (an error): one message shows at
    a time, at the bottom of the phone's screen, and no component is marked."""
    from glyph_vae import GlyphVAE
    from glyph_vae.pipelines.style_file import style_from_file, style_to_file
    from harness.browser import PHONE

    model = GlyphVAE.from_pretrained()
    axis = model.style_axes[2]
    bold = style_from_file(str(bundled_path("style_examples", "bold.json")), model).style
    far = bold.shifted((axis.high + 2 - float(bold.mean @ axis.direction / axis.scale)) * axis.scale * axis.direction)
    far_file = tmp_path / "far.json"
    far_file.write_bytes(style_to_file(far, model, name="Far slant"))
    other = json.loads(read(bundled_path("style_examples", "bold.json")))
    other["model"]["sha256"] = "0123456789abcdef"
    other_file = tmp_path / "other.json"
    other_file.write_text(json.dumps(other))
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "glyphvae-style"')

    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(app_url)
    page.get_by_role("tab", name="Write like me").click()
    page.wait_for_selector("#write-output img", timeout=30_000)
    open_style_files(page)
    upload_input(page, "#style-load").set_input_files(str(far_file))
    page.wait_for_function("() => /Far slant/.test(document.querySelector('#style-note').innerText)",
                           timeout=30_000)
    page.wait_for_function("() => Number(document.querySelector('#style-axis-2 input[type=range]').max) > 3",
                           timeout=10_000)
    shown = float(page.locator("#style-axis-2 input[type=number]").input_value())
    assert shown == pytest.approx(axis.high + 2, abs=0.011)
    assert float(page.locator("#style-axis-2 input[type=range]").get_attribute("max")) >= shown

    upload_input(page, "#style-load").set_input_files(str(other_file))
    page.wait_for_selector(".toast-body.warning", timeout=30_000)
    upload_input(page, "#style-load").set_input_files(str(broken))
    page.wait_for_selector(".toast-body.error", timeout=30_000)
    visible = page.evaluate("""() => [...document.querySelectorAll('.toast-body')]
        .filter(t => t.getBoundingClientRect().height > 0).map(t => t.getBoundingClientRect().bottom)""")
    assert len(visible) == 1 and visible[0] > 844 / 2, visible  # the newest only, in the lower half
    assert error_badges(page) == []
    context.close()

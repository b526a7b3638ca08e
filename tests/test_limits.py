"""Limits and bad input through the public API (gradio_client and raw HTTP) and the page.

Each bad input gets a message that names the problem, and the server answers the next
good request. The Python-side checks behind these (normalize_glyph's file kinds, tampered
weights) are tested in test_preprocess.py and test_hub.py; here is what a caller of the
running app sees.
"""
from __future__ import annotations

import json
import math
import os
import uuid

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from glyph_vae.testing.drawings import render_drawing
from harness.http import call, post


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """One file per kind of image input, good and bad."""
    d = tmp_path_factory.mktemp("inputs")
    seven = render_drawing("7", seed=11, canvas=300, brush=20)
    seven.save(d / "good.png")
    Image.new("RGB", (400, 400), "white").save(d / "blank.png")
    Image.new("L", (1, 1), 0).save(d / "one_pixel.png")
    Image.new("1", (20000, 20000), 1).save(d / "bomb.png", optimize=True)  # 400 MP in ~76 kB
    (d / "notes.png").write_text("not an image")
    good = (d / "good.png").read_bytes()
    (d / "truncated.png").write_bytes(good[: len(good) // 2])
    frames = [render_drawing(c, seed=1, canvas=200, brush=14).convert("P") for c in "73"]
    frames[0].save(d / "animated.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    Image.fromarray(np.asarray(seven.convert("L")).astype(np.uint16) * 257).save(d / "sixteen_bit.png")
    seven.convert("CMYK").save(d / "cmyk.jpg")
    Image.new("RGBA", (300, 300), (0, 0, 0, 0)).save(d / "transparent.png")
    (d / "too_big.png").write_bytes(good + os.urandom(11 * 1024 * 1024))  # over max_file_size (10 MB)
    return d


def still_answers(client, files):
    assert client.predict(handle_file(str(files / "good.png")), api_name="/classify")["label"] == "7"


# -- /classify: one image file ---------------------------------------------------

REFUSED = [
    ("blank.png", "Draw a character first"),
    ("one_pixel.png", "Draw a character first"),
    ("bomb.png", "bomb.png is too large to decode safely: over 40 megapixels"),
    ("notes.png", "notes.png is not an image"),
    ("truncated.png", "truncated.png is damaged or truncated"),
    ("transparent.png", "Draw a character first"),
]


@pytest.mark.parametrize("name,message", REFUSED, ids=[r[0] for r in REFUSED])
def test_classify_refuses_bad_images_by_name(client, files, name, message):
    with pytest.raises(Exception, match=message):
        client.predict(handle_file(str(files / name)), api_name="/classify")
    still_answers(client, files)


@pytest.mark.parametrize("name", ["animated.gif", "sixteen_bit.png", "cmyk.jpg"])
def test_classify_reads_unusual_but_valid_images(client, files, name):
    """The first frame of an animation, 16-bit grey and CMYK are read, not refused."""
    assert Image.open(files / name).mode in ("P", "I;16", "CMYK")
    assert client.predict(handle_file(str(files / name)), api_name="/classify")["label"] == "7"
    still_answers(client, files)


def test_upload_over_the_size_limit_is_refused(client, files, app_url):
    # gradio_client checks the app's max_file_size before sending...
    with pytest.raises(ValueError, match="exceeds the maximum file size of 10485760 bytes"):
        client.predict(handle_file(str(files / "too_big.png")), api_name="/classify")
    # ...and the server refuses it itself (HTTP 413) from any other client.
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"too_big.png\"\r\n"
            "Content-Type: image/png\r\n\r\n").encode() + (files / "too_big.png").read_bytes() + \
        f"\r\n--{boundary}--\r\n".encode()
    status, text = post(app_url, "upload", body, f"multipart/form-data; boundary={boundary}")
    assert status == 413 and "maximum allowed size of 10485760 bytes" in text
    still_answers(client, files)


# -- /write and /glyphs: text, randomness, seed, style drawings --------------------

WRITE_REFUSED = [
    ("text 100,000 chars", "/write", ([], "a" * 100_000, 0.0, 0), "The text has 100,000 characters; at most 500"),
    ("glyphs 100,000 chars", "/glyphs", ([], "a" * 100_000, 0.0, 0), "at most 500"),
    ("glyphs emoji", "/glyphs", ([], "a😀€", 0.0, 0), "cannot draw '😀' '€'"),
    ("randomness -1", "/write", ([], "abc", -1, 0), "Randomness must be between 0 and 1 .*, not -1\\."),
    ("randomness 1e9", "/write", ([], "abc", 1e9, 0), "Randomness must be between 0 and 1 .*, not 1000000000.0"),
    ("seed -1", "/write", ([], "abc", 0.0, -1), "The seed must be a whole number from 0 to 2\\^63-1, not -1\\."),
    ("seed 1.5", "/write", ([], "abc", 0.0, 1.5), "The seed must be a whole number from 0 to 2\\^63-1, not 1.5"),
    ("seed 2^63", "/write", ([], "abc", 0.0, 2**63), "seed must be a whole number from 0 to 2\\^63-1"),
    ("glyphs seed 2^64", "/glyphs", ([], "abc", 0.0, 2**64), "seed must be a whole number from 0 to 2\\^63-1"),
]


@pytest.mark.parametrize("case,api,args,message", WRITE_REFUSED, ids=[r[0] for r in WRITE_REFUSED])
def test_write_and_glyphs_refuse_bad_arguments(client, files, case, api, args, message):
    with pytest.raises(Exception, match=message):
        client.predict(*args, api_name=api)
    assert client.predict([], "ok", 0.0, 0, api_name="/write").endswith(".png")
    still_answers(client, files)


def test_write_leaves_unsupported_characters_as_gaps_and_warns(client):
    job = client.submit([], "a😀€b", 0.0, 0, api_name="/write")
    path = job.result()  # the client queues a call's messages in order, the result last
    assert Image.open(path).format == "PNG"
    logs = []
    while not job.communicator.updates.empty():
        update = job.communicator.updates.get_nowait()
        if getattr(update, "log", None):
            logs.append(update.log)
    assert ("Left as gaps (not printable ASCII): '😀' '€'", "warning") in logs


def test_100_style_drawings_hit_the_16_drawing_limit(client, files):
    drawing = handle_file(str(files / "good.png"))
    with pytest.raises(Exception, match="At most 16 style drawings, got 100"):
        client.predict([drawing] * 100, "abc", 0.0, 0, api_name="/write")
    assert client.predict([drawing] * 16, "abc", 0.0, 0, api_name="/write").endswith(".png")  # 16 is fine


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_non_finite_randomness_over_http(app_url, client, files, value):
    """gradio_client cannot even send NaN (it is not JSON); Python's json can, so check the server."""
    body = json.dumps({"data": [[], "abc", value, 0]}).encode()
    event, data = call(app_url, "write", body=body)
    assert event == "error"
    assert "Randomness must be between 0 and 1" in data["error"]
    assert ("not nan" if value != value else "not inf") in data["error"]
    still_answers(client, files)


# -- /confuse: digit and seed --------------------------------------------------------

CONFUSE_REFUSED = [
    ("12", 0, "Choose a digit from 0 to 9 \\(not '12'\\), or draw one"),
    ("-1", 0, "Choose a digit from 0 to 9 \\(not '-1'\\)"),
    (None, 0, "Choose a digit from 0 to 9 \\(not None\\)"),
    ("3", -1, "The seed must be a whole number from 0 to 2\\^63-1, not -1"),
    ("3", 2**63, "seed must be a whole number from 0 to 2\\^63-1"),
]


@pytest.mark.parametrize("digit,seed,message", CONFUSE_REFUSED, ids=[f"{d}-{s}" for d, s, _ in CONFUSE_REFUSED])
def test_confuse_refuses_bad_digit_or_seed(client, files, digit, seed, message):
    with pytest.raises(Exception, match=message):
        client.predict(digit, None, seed, api_name="/confuse")
    assert client.predict("3", None, 1, api_name="/confuse")[4]["digit"] == 3


# -- the HTTP API itself ---------------------------------------------------------------

@pytest.mark.parametrize("route,body", [
    ("call/write", b'{"data": [[], "abc", 0.1, 0'),  # cut off
    ("call/classify", b"not json at all"),
    ("call/confuse", b'{"no_data": 1}'),
    ("call/confuse", b'{"data": "3"}'),
    ("queue/join", b'{"data": [1, 2'),
], ids=["truncated", "not-json", "no-data", "data-not-a-list", "queue-join"])
def test_malformed_json_gets_a_4xx_and_the_server_keeps_answering(app_url, client, files, route, body):
    status, text = post(app_url, route, body)
    assert status == 422, (status, text)
    assert "json_invalid" in text or "Field required" in text or "valid list" in text
    event, data = call(app_url, "write", [[], "still here", 0.0, 0])
    assert event == "complete" and data[0]["path"].endswith(".png")
    still_answers(client, files)


def test_health_names_the_models_and_versions(client):
    info = client.predict(api_name="/health")
    assert info["status"] == "ok" and info["app_version"]
    assert set(info["models"]) == {"GlyphVAE", "MuddleAutoencoder", "DigitClassifier", "ChooserEnsemble"}
    for model in info["models"].values():
        assert len(model["sha256"]) == 16 and model["config"]


# -- the page ---------------------------------------------------------------------------

def new_image(page, old: str | None):
    page.wait_for_function(
        "(old) => { const img = document.querySelector('#write-output img'); return img && img.src !== old; }",
        arg=old, timeout=20_000)


def test_page_text_over_the_limit_is_cut_at_500_and_says_so(write_page):
    page = write_page
    assert "up to 500 characters" in page.locator("#write-text").inner_text()
    page.fill("#write-text textarea", "a" * 100_000)
    assert len(page.input_value("#write-text textarea")) == 500  # the box takes no more
    before = page.locator("#write-output img").get_attribute("src")
    page.click("#write-go")
    new_image(page, before)
    assert page.locator(".toast-body.error").count() == 0


def test_page_unsupported_characters_show_a_warning_and_the_rest_is_written(write_page):
    """The gaps are said once, under the text, for as long as the text has them: not a toast per rewrite."""
    page = write_page
    before = page.locator("#write-output img").get_attribute("src")
    page.fill("#write-text textarea", "Hi 😀 there €")
    page.click("#write-go")
    page.wait_for_function("() => document.querySelector('#write-gaps').innerText.includes('Left as gaps')",
                           timeout=20_000)
    assert "'😀' '€'" in page.locator("#write-gaps").inner_text()
    new_image(page, before)
    before = page.locator("#write-output img").get_attribute("src")
    page.fill("#write-seed input", "7")
    page.press("#write-seed input", "Enter")  # another rewrite of the same text
    new_image(page, before)
    assert page.locator(".toast-body").count() == 0
    page.fill("#write-text textarea", "Hi there")
    page.click("#write-go")
    page.wait_for_function("() => !document.querySelector('#write-gaps').innerText.includes('Left as gaps')",
                           timeout=20_000)

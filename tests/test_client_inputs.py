"""What a client may send as a drawing or a style (glyph_vae.ui.inputs): uploads, data URLs and
inline JSON are read; a path on the server, a dict without Gradio's upload marker, a FIFO,
`/etc/passwd` are refused by every endpoint, over plain HTTP and MCP, with a message that
names no server path; and malformed values of every kind are input errors, never faults."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import Image

from glyph_vae.errors import StyleFileError, UnreadableImageError, UserInputError
from glyph_vae.models.hub import bundled_path
from glyph_vae.glyphs.preprocess import MAX_LAYERS
from glyph_vae.ui.inputs import client_image, client_style, uploaded_path
from glyph_vae.ui.pad import image_value
from harness.http import call
from harness.uploads import uploaded

NOT_UPLOADED = "is not a file uploaded to the app"


@pytest.fixture(scope="module")
def fifo(tmp_path_factory):
    """A named pipe: opening it for reading blocks until a writer comes, which none does."""
    path = tmp_path_factory.mktemp("fifo") / "pipe.json"
    os.mkfifo(path)
    return str(path)


@pytest.fixture(scope="module")
def server_image(tmp_path_factory):
    """An image on the server that no client uploaded."""
    path = tmp_path_factory.mktemp("server") / "secret.png"
    Image.open(bundled_path("examples", "drawn_A.png")).save(path)
    return str(path)


# -- the door, in-process ---------------------------------------------------------------

def server_paths(fifo, server_image):
    return ["/etc/passwd", server_image, fifo, "/nonexistent/x.png", "/tmp", "../../etc/passwd"]


def test_paths_on_the_server_are_refused_as_drawings_naming_no_path(fifo, server_image):
    for path in server_paths(fifo, server_image):
        for value in (path, {"path": path}, {"path": path, "orig_name": "a.png"},
                      {"background": None, "layers": [], "composite": path},
                      {"background": path, "layers": [], "composite": None},
                      {"background": None, "layers": [path], "composite": None}):
            with pytest.raises(UnreadableImageError, match=NOT_UPLOADED) as caught:
                client_image(value)
            message = str(caught.value)
            assert path not in message and "/tmp" not in message and "etc" not in message


def test_paths_on_the_server_are_refused_as_styles_naming_no_path(fifo, server_image):
    for path in server_paths(fifo, server_image):
        for value in (path, {"path": path}, {"path": path, "meta": {"_type": "gradio.FileData"}}):
            with pytest.raises(StyleFileError, match=NOT_UPLOADED) as caught:
                client_style(value)
            assert path not in str(caught.value)


def test_uploads_data_urls_and_inline_json_pass(tmp_path):
    upload = uploaded(bundled_path("examples", "drawn_A.png"))
    assert client_image(upload) == str(uploaded_path(upload))
    assert client_image({"path": upload, "meta": {"_type": "gradio.FileData"}}) == upload
    url = image_value(bundled_path("examples", "drawn_A.png"))
    assert client_image(url) == url and client_image("") == "" and client_image(None) is None
    style_text = bundled_path("style_examples", "bold.json").read_text()
    assert client_style(style_text) == style_text
    assert client_style(json.loads(style_text)) == json.loads(style_text)
    assert client_style(uploaded(bundled_path("style_examples", "bold.json"))).endswith("bold.json")


def test_a_link_or_dot_dot_out_of_the_upload_folder_is_refused(tmp_path):
    inside = os.path.dirname(uploaded(bundled_path("examples", "drawn_A.png")))
    link = os.path.join(inside, "link.png")
    if not os.path.lexists(link):
        os.symlink("/etc/passwd", link)
    for path in (link, os.path.join(inside, "..", "..", "..", "etc", "passwd")):
        with pytest.raises(UnreadableImageError, match=NOT_UPLOADED):
            client_image(path)


def test_a_fifo_inside_the_upload_folder_is_refused_without_blocking(tmp_path):
    inside = os.path.dirname(uploaded(bundled_path("examples", "drawn_A.png")))
    pipe = os.path.join(inside, "pipe.png")
    if not os.path.exists(pipe):
        os.mkfifo(pipe)
    with pytest.raises(UnreadableImageError, match=NOT_UPLOADED):
        client_image(pipe)
    with pytest.raises(StyleFileError, match=NOT_UPLOADED):
        client_style(pipe)


def test_the_library_loaders_refuse_a_fifo_before_opening_it(fifo):
    from glyph_vae.glyphs.preprocess import load_image
    from glyph_vae.pipelines.style_file import read_style_bytes

    with pytest.raises(StyleFileError, match="pipe.json is not a regular file"):
        read_style_bytes(fifo)
    with pytest.raises(UnreadableImageError, match="No image file"):
        load_image(fifo)


@pytest.mark.parametrize("value", [5, 1.5, True, [1, 2], {"path": 5}, {"path": None}, {"path": ""},
                                   {"layers": "x"}, {"layers": [None] * (MAX_LAYERS + 1)}, b"\x00", object()])
def test_malformed_drawings_are_input_errors(value):
    with pytest.raises(UserInputError):
        client_image(value)


@pytest.mark.parametrize("value", [5, 1.5, True, [1, 2], {"path": 5}, {"path": None}, object()])
def test_malformed_styles_are_input_errors(value):
    with pytest.raises(UserInputError):
        client_style(value)


# -- every endpoint, over plain HTTP ----------------------------------------------------

DRAWING_ENDPOINTS = {  # endpoint -> (its arguments with a drawing, or a list of drawings, as X)
    "classify": ["X"],
    "classify_ruled": ["X"],
    "confuse": ["3", "X", 1],
    "confuse_by": ["3", "X", 1, "balance"],
    "confuse_with": ["3", "X", 1, "balance", "class_mix"],
    "write": [["X"], "Hi", 0.0, 1],
    "glyphs": [["X"], "Hi", 0.0, 1],
    "font": [["X"], "", 1, 0.0, 1],
    "write_svg": [["X"], "Hi", 0.0, 1, "outline"],
    "style": [["X"]],
}
STYLE_ENDPOINTS = {
    "write_with_style": ["X", "Hi", 0.0, 1],
    "font_with_style": ["X", "", 1, 0.0, 1],
    "write_svg_with_style": ["X", "Hi", 0.0, 1, "outline"],
    "mix": ["X", "X", 0.5],
    "morph": ["X", "X", "Hi", 2],
}


def with_value(args, value):
    return [[value] if a == ["X"] else value if a == "X" else a for a in args]


def test_every_endpoint_refuses_server_paths_over_plain_http(app_url, fifo, server_image):
    """A path string, a dict without Gradio's marker, an editor value naming a file: each is an
    error event that says how to send a file and names no path; the FIFO does not hang a call."""
    for path in ("/etc/passwd", server_image, fifo):
        values = [path, {"path": path}, {"background": None, "layers": [], "composite": path}]
        for api, args in DRAWING_ENDPOINTS.items():
            for value in values:
                event, data = call(app_url, api, with_value(args, value))
                assert event == "error" and NOT_UPLOADED in data["error"], (api, value, data)
                assert path not in data["error"] and "passwd" not in data["error"]
        for api, args in STYLE_ENDPOINTS.items():
            for value in values[:2]:
                event, data = call(app_url, api, with_value(args, value))
                assert event == "error" and NOT_UPLOADED in data["error"], (api, value, data)
                assert path not in data["error"]


def test_malformed_values_are_messages_not_faults_over_plain_http(app_url):
    """Values of the wrong kind get an error event with a message (a program fault gives
    `{"error": null}`)."""
    bad = [5, 1.5, True, {"path": 5}, [[1]], {"a": {"b": 1}}]
    for api, args in {**DRAWING_ENDPOINTS, **STYLE_ENDPOINTS}.items():
        for value in bad:
            event, data = call(app_url, api, with_value(args, value))
            assert event == "error" and isinstance(data.get("error"), str) and data["error"], (api, value, data)
    # a value of the wrong shape in every other place: answered, or refused with a message
    style = bundled_path("style_examples", "bold.json").read_text()
    for api, args in {**DRAWING_ENDPOINTS, **STYLE_ENDPOINTS}.items():
        good = with_value(args, style if api in STYLE_ENDPOINTS else None)
        for position in range(len(args)):
            for value in ({"a": {"b": 1}}, [[1]]):
                data_in = list(good)
                data_in[position] = value
                event, data = call(app_url, api, data_in)
                assert event == "complete" or (event == "error" and isinstance(data.get("error"), str)
                                               and data["error"]), (api, position, value, data)
    event, data = call(app_url, "morph", [json.loads(bundled_path("style_examples", "bold.json").read_text()),
                                          json.loads(bundled_path("style_examples", "wide.json").read_text()), 5, 2])
    assert event == "error" and "The word to morph must be text" in data["error"]


def test_an_uploaded_file_and_a_data_url_still_read_over_plain_http(app_url, client):
    from gradio_client import handle_file

    assert client.predict(handle_file(str(bundled_path("examples", "drawn_A.png"))), api_name="/classify")["label"] == "A"
    event, data = call(app_url, "classify", [image_value(bundled_path("examples", "drawn_A.png"))])
    assert event == "complete" and data[0]["label"] == "A"
    event, data = call(app_url, "write_with_style", [bundled_path("style_examples", "bold.json").read_text(),
                                                     "Hi", 0.0, 1])
    assert event == "complete" and data[0]["url"].endswith(".png")


def test_mcp_refuses_a_server_path_and_tells_nothing_about_it(app_url, server_image):
    """Through MCP a server path is refused, and the answer for a file that exists is the answer
    for one that does not (up to the echo of the caller's own string): no oracle for probing."""
    from tests.test_mcp import data_url, mcp_session

    async def work(session):
        answers = {}
        for path in (server_image, "/nonexistent/secret.png", "/etc/passwd"):
            answers[path] = [await session.call_tool("confuse", {"digit": "3", "drawing": {"path": path}, "seed": 1}),
                             await session.call_tool("classify", {"image": path})]
        good = await session.call_tool("classify", {"image": data_url(bundled_path("examples", "drawn_A.png"))})
        return answers, good

    answers, good = mcp_session(app_url, work)
    texts = {}
    for path, results in answers.items():
        for result in results:
            assert result.isError and all(c.type == "text" for c in result.content)
        texts[path] = [" ".join(c.text for c in r.content).replace(path, "<path>") for r in results]
    assert texts[server_image] == texts["/nonexistent/secret.png"] == texts["/etc/passwd"]
    assert NOT_UPLOADED in texts[server_image][0]
    assert not good.isError


# -- pictures: kinds, size, layers --------------------------------------------------------

@pytest.mark.parametrize("kind", ["TIFF", "ICO", "TGA", "PPM", "SGI", "PCX", "IM"])
def test_only_the_documented_kinds_of_picture_are_opened(tmp_path, kind):
    from glyph_vae.glyphs.preprocess import normalize_glyph

    path = tmp_path / f"a.{kind.lower()}"
    Image.open(bundled_path("examples", "drawn_A.png")).convert("RGB").resize((64, 64)).save(path, format=kind)
    with pytest.raises(UnreadableImageError, match="is not an image: send a PNG, JPEG, WebP, GIF or BMP file"):
        normalize_glyph(path.read_bytes())


def test_an_eps_file_never_reaches_ghostscript(tmp_path):
    from glyph_vae.glyphs.preprocess import normalize_glyph

    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nnewpath 0 0 moveto 10 10 lineto stroke\n%%EOF\n"
    with pytest.raises(UnreadableImageError, match="is not an image"):
        normalize_glyph(eps)


def big_drawing(size: int) -> Image.Image:
    """The bundled drawing of an A, blown up to `size` px (a phone photo's resolution)."""
    return Image.open(bundled_path("examples", "drawn_A.png")).convert("L").resize((size, size), Image.BILINEAR)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_large_picture_is_reduced_on_decoding_and_reads_the_same(tmp_path, fmt):
    from glyph_vae.glyphs.preprocess import MAX_SIDE, load_image, normalize_glyph

    path = tmp_path / f"big.{fmt.lower()}"
    big_drawing(6300).save(path, format=fmt)
    assert max(load_image(path).size) <= MAX_SIDE
    small = tmp_path / "small.png"
    big_drawing(900).save(small)
    assert np.abs(normalize_glyph(path) - normalize_glyph(small)).max() < 0.1


def test_an_editor_value_of_too_many_layers_is_refused(tmp_path):
    from glyph_vae.glyphs.preprocess import normalize_glyph

    layer = image_value(bundled_path("examples", "drawn_A.png"))
    assert normalize_glyph({"background": None, "layers": [layer] * MAX_LAYERS, "composite": None}).shape == (28, 28)
    with pytest.raises(UnreadableImageError, match=f"at most {MAX_LAYERS} layers"):
        normalize_glyph({"background": None, "layers": [layer] * (MAX_LAYERS + 1), "composite": None})


# -- error messages echo a bounded part of the input -----------------------------------------

def test_a_huge_input_is_echoed_in_a_few_dozen_characters(app_url):
    seed = "9" * 200_000
    event, data = call(app_url, "write", [[], "Hi", 0.0, seed])
    assert event == "error" and "The seed must be a whole number" in data["error"] and len(data["error"]) < 200
    from glyph_vae.errors import check_seed

    with pytest.raises(UserInputError) as caught:
        check_seed(10 ** 100_000)
    assert len(str(caught.value)) < 200


def test_a_style_name_is_shown_as_text_not_markdown():
    """Markdown and HTML in a shared style's name are escaped: the viewer's browser fetches nothing."""
    from glyph_vae.ui.common import markdown_text

    shown = markdown_text("![x](http://host/p.png) <img src=x onerror=alert(1)> *bold*")
    assert shown == (r"\!\[x\]\(http://host/p\.png\) &lt;img src=x onerror=alert\(1\)&gt; \*bold\*")

"""The README's Python, gradio_client and MCP examples work as written."""
from __future__ import annotations

import json
import re
from pathlib import Path

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)
ROOT = Path(__file__).resolve().parent.parent


def block(marker: str) -> str:
    return next(b for b in BLOCKS if marker in b)


def test_readme_has_space_front_matter():
    front = README.split("---")[1]
    assert "sdk: gradio" in front and "app_file: app.py" in front


def test_the_spaces_gradio_is_one_the_requirements_allow():
    """The Space pins one Gradio (`sdk_version`); requirements.txt allows a range, which the tests
    run with whatever pip chose from it: the pin must lie inside that range."""
    from packaging.requirements import Requirement

    front = README.split("---")[1]
    pinned = re.search(r"^sdk_version: (\S+)$", front, re.M).group(1)
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    gradio = next(Requirement(line.split("#")[0]) for line in lines if re.match(r"gradio\b", line))
    assert gradio.specifier.contains(pinned), f"the Space's Gradio {pinned} is outside requirements.txt's {gradio}"


def test_python_example_runs_from_any_folder(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)  # not the repository root: the package finds its bundled files
    exec(compile(block("from glyph_vae import GlyphVAE, bundled_path, read"), "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "7"


def test_write_like_me_python_example_runs(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(block("from glyph_vae.writing import"), "README.md", "exec"), namespace)
    assert (tmp_path / "hello.png").stat().st_size > 1000
    assert namespace["style"].count == 2 and namespace["glyphs"].shape == (3, 28, 28)


def client_setup(app_url: str) -> dict:
    namespace = {}
    setup = block("gradio_client")
    exec(compile(setup.split("result =")[0].replace("http://127.0.0.1:7860/", app_url), "README.md", "exec"),
         namespace)
    return namespace


def test_gradio_client_examples_run(app_url, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    namespace = {}
    exec(compile(block("gradio_client").replace("http://127.0.0.1:7860/", app_url), "README.md", "exec"), namespace)
    out = capsys.readouterr().out.splitlines()
    assert out[-2] == "A"
    exec(compile(block('api_name="/confuse"'), "README.md", "exec"), namespace)
    first, second, third = capsys.readouterr().out.splitlines()
    digit, partner, p_digit, p_partner = first.split()
    assert digit == "3" and partner != "3" and 0 <= float(p_digit) <= 1 and 0 <= float(p_partner) <= 1
    assert second in ("far_from_both True", "far_from_both False")
    assert third in ("autoencoder True", "autoencoder False")


def test_write_like_me_api_example_runs(app_url, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    namespace = client_setup(app_url)
    exec(compile(block('api_name="/write"'), "README.md", "exec"), namespace)
    assert capsys.readouterr().out.strip().splitlines()[-1] == "['a', 'b', 'c']"
    assert open(namespace["png"], "rb").read(4) == b"\x89PNG"


def test_warnings_api_example_runs(app_url, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    namespace = client_setup(app_url)
    capsys.readouterr()
    exec(compile(block('.text.get("Warning")'), "README.md", "exec"), namespace)
    assert capsys.readouterr().out.strip() == "Left as gaps (not printable ASCII): '€'"


def test_faster_calls_example_gives_the_same_answers(app_url, monkeypatch):
    from gradio_client import Client, handle_file

    monkeypatch.chdir(ROOT)
    namespace = {"Client": Client}
    exec(compile(block("ssl_verify=").replace('"owner/glyph-vae"', repr(app_url)), "README.md", "exec"), namespace)
    fast, plain = namespace["client"], Client(app_url, verbose=False)
    drawing = handle_file("assets/examples/drawn_A.png")
    assert fast.predict(drawing, api_name="/classify") == plain.predict(drawing, api_name="/classify")
    assert fast.predict([], "ab", 0.0, 3, api_name="/glyphs")[1]["caption"] == "b"


def test_mcp_example_runs(app_url, capsys):
    import threading

    code = block("streamable_http_client").replace("http://127.0.0.1:7860/", app_url)
    # In a thread of its own: the browser tests keep an event loop running in this one.
    thread = threading.Thread(target=exec, args=(compile(code, "README.md", "exec"), {"__name__": "readme"}))
    thread.start()
    thread.join()
    tools, contents, warning = capsys.readouterr().out.strip().splitlines()
    assert "'write'" in tools and "'classify'" in tools
    assert contents.startswith("['image'")
    assert warning == "Left as gaps (not printable ASCII): '€'"  # the warning reaches an MCP caller


def test_the_layout_table_names_what_is_there():
    table = README.split("## Layout")[1]
    for path in re.findall(r"^\| `([^`]+)` \|", table, re.M):
        assert (ROOT / path).exists(), path
    for name in re.findall(r"\(`([a-z_]+\.py)`", table):
        assert list(ROOT.rglob(name)), name


def test_font_and_vector_python_example_runs(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(block("from glyph_vae.writing import glyphs_for"), "README.md", "exec"), namespace)
    exec(compile(block("from glyph_vae.font import build_font"), "README.md", "exec"), namespace)
    from fontTools.ttLib import TTFont

    assert TTFont(tmp_path / "my-hand.ttf")["name"].getDebugName(1) == "My Hand"
    assert (tmp_path / "hello-plotter.svg").read_text().startswith("<?xml")
    from PIL import Image

    assert round(Image.open(tmp_path / "hello-300dpi.png").info["dpi"][0]) == 300  # PNG stores dots per metre


def test_font_and_svg_api_example_runs(app_url, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    namespace = client_setup(app_url)
    exec(compile(block('api_name="/write"'), "README.md", "exec"), namespace)
    capsys.readouterr()
    exec(compile(block('api_name="/font"'), "README.md", "exec"), namespace)
    assert capsys.readouterr().out.strip() == "True <?xml"


def test_style_file_api_example_runs(app_url, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    namespace = client_setup(app_url)
    exec(compile(block('api_name="/write"'), "README.md", "exec"), namespace)
    capsys.readouterr()
    exec(compile(block('api_name="/style"'), "README.md", "exec"), namespace)
    assert capsys.readouterr().out.strip() == "AK True"
    assert open(namespace["gif"], "rb").read(6) == b"GIF89a"
    assert namespace["ttf"].endswith(".ttf") and open(namespace["svg"]).read(5) == "<?xml"
    assert json.loads(open(namespace["halfway"]).read())["name"] == "Narrow + Wide (50%)"


def test_classify_ruled_example_runs(app_url, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    namespace = client_setup(app_url)
    example = block('api_name="/classify_ruled"')
    exec(compile(example, "README.md", "exec"), namespace)
    printed = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("ruled_")]
    documented = [line.lstrip("# ").split()[:3] for line in example.splitlines() if line.startswith("# ruled_")]
    assert printed == documented  # what the README says each endpoint answers
    assert [row[1] for row in printed] == ["g", "9", "o"]

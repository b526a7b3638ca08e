"""The README's Python and gradio_client examples work as written."""
from __future__ import annotations

import re
from pathlib import Path


README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)


def test_readme_has_space_front_matter():
    front = README.split("---")[1]
    assert "sdk: gradio" in front and "app_file: app.py" in front


def test_python_example_runs(monkeypatch, capsys):
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    block = next(b for b in BLOCKS if "from glyph_vae import" in b)
    exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "7"


def test_gradio_client_example_runs(app_url, monkeypatch, capsys):
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    block = next(b for b in BLOCKS if "gradio_client" in b)
    assert "http://127.0.0.1:7860/" in block
    namespace = {}
    exec(compile(block.replace("http://127.0.0.1:7860/", app_url), "README.md", "exec"), namespace)
    out = capsys.readouterr().out.splitlines()
    assert out[-2] == "A"
    confuse_block = next(b for b in BLOCKS if 'api_name="/confuse"' in b)
    exec(compile(confuse_block, "README.md", "exec"), namespace)
    digit, partner, p_digit, p_partner = capsys.readouterr().out.split()
    assert digit == "3" and partner != "3" and 0 <= float(p_digit) <= 1 and 0 <= float(p_partner) <= 1


def test_write_like_me_python_example_runs(monkeypatch, tmp_path):
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    block = next(b for b in BLOCKS if "from glyph_vae.writing import" in b)
    namespace = {}
    exec(compile(block.replace('"hello.png"', repr(str(tmp_path / "hello.png"))), "README.md", "exec"), namespace)
    assert (tmp_path / "hello.png").stat().st_size > 1000
    assert namespace["style"].count == 2 and namespace["glyphs"].shape == (3, 28, 28)


def test_write_like_me_api_example_runs(app_url, monkeypatch, capsys):
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    namespace = {}
    setup = next(b for b in BLOCKS if "gradio_client" in b)
    exec(compile(setup.split("result =")[0].replace("http://127.0.0.1:7860/", app_url), "README.md", "exec"),
         namespace)
    block = next(b for b in BLOCKS if 'api_name="/write"' in b)
    exec(compile(block, "README.md", "exec"), namespace)
    assert capsys.readouterr().out.strip().splitlines()[-1] == "['a', 'b', 'c']"
    assert open(namespace["png"], "rb").read(4) == b"\x89PNG"


def test_faster_calls_example_gives_the_same_answers(app_url, monkeypatch):
    from gradio_client import Client, handle_file

    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    block = next(b for b in BLOCKS if "ssl_verify=" in b)
    namespace = {"Client": Client}
    exec(compile(block.replace('"owner/glyph-vae"', repr(app_url)), "README.md", "exec"), namespace)
    fast, plain = namespace["client"], Client(app_url, verbose=False)
    drawing = handle_file("assets/examples/drawn_A.png")
    assert fast.predict(drawing, api_name="/classify") == plain.predict(drawing, api_name="/classify")
    assert fast.predict([], "ab", 0.0, 3, api_name="/glyphs")[1]["caption"] == "b"

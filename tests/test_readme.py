"""The Python, gradio_client, plain HTTP and MCP examples of the README and of docs/api.md work as
written: each example is found by a line of it, in the README first, then in the API reference."""
from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("README.md", "docs/api.md")  # the pages whose examples run here, in the order they are read
README = (ROOT / "README.md").read_text()
BLOCKS = [(page, code) for page in PAGES for code in re.findall(r"```python\n(.*?)```", (ROOT / page).read_text(), re.S)]
# What finds each example; every example of PAGES must hold one (test_every_example_is_run).
MARKERS = ("from glyph_vae import GlyphVAE, bundled_path, read", "from glyph_vae.writing import",
           "from glyph_vae.font import build_font", "gradio_client", 'api_name="/classify_ruled"',
           'api_name="/confuse"', 'api_name="/write"', 'api_name="/font"', 'api_name="/style"',
           '"Hello, world! 5 €"', "ssl_verify=", "gradio_api/call/", "streamable_http_client")


def found(marker: str) -> tuple[str, str]:
    """(page, code) of the first example holding `marker`."""
    return next((page, code) for page, code in BLOCKS if marker in code)


def block(marker: str) -> str:
    return found(marker)[1]


def compiled(marker: str, code: str | None = None):
    """The example holding `marker` (or `code`, that example edited), compiled under its page's name."""
    page, text = found(marker)
    return compile(text if code is None else code, page, "exec")


def test_every_example_is_run():
    """An example no marker finds would go untested: each is the first one its marker finds."""
    run = {found(marker) for marker in MARKERS}
    for page, code in BLOCKS:
        assert (page, code) in run, f"an example in {page} that no test runs:\n{code}"


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
    exec(compiled("from glyph_vae import GlyphVAE, bundled_path, read"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "7"


def test_write_like_me_python_example_runs(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compiled("from glyph_vae.writing import"), namespace)
    assert (tmp_path / "hello.png").stat().st_size > 1000
    assert namespace["style"].count == 2 and namespace["glyphs"].shape == (3, 28, 28)


def client_setup(app_url: str) -> dict:
    namespace = {}
    setup = block("gradio_client")
    exec(compiled("gradio_client", setup.split("result =")[0].replace("http://127.0.0.1:7860/", app_url)),
         namespace)
    return namespace


def test_gradio_client_examples_run(app_url, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    namespace = {}
    exec(compiled("gradio_client", block("gradio_client").replace("http://127.0.0.1:7860/", app_url)), namespace)
    out = capsys.readouterr().out.splitlines()
    assert out[-2] == "A"
    exec(compiled('api_name="/confuse"'), namespace)
    first, second, third = capsys.readouterr().out.splitlines()
    digit, partner, p_digit, p_partner = first.split()
    assert digit == "3" and partner != "3" and 0 <= float(p_digit) <= 1 and 0 <= float(p_partner) <= 1
    assert second in ("far_from_both True", "far_from_both False")
    assert third in ("autoencoder True", "autoencoder False")


def test_write_like_me_api_example_runs(app_url, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    namespace = client_setup(app_url)
    exec(compiled('api_name="/write"'), namespace)
    assert capsys.readouterr().out.strip().splitlines()[-1] == "['a', 'b', 'c']"
    assert open(namespace["png"], "rb").read(4) == b"\x89PNG"


def test_warnings_api_example_runs(app_url, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    namespace = client_setup(app_url)
    capsys.readouterr()
    exec(compiled('"Hello, world! 5 €"'), namespace)
    assert capsys.readouterr().out.strip() == "Left as gaps (not printable ASCII): '€'"


def test_faster_calls_example_gives_the_same_answers(app_url, monkeypatch):
    from gradio_client import Client, handle_file

    monkeypatch.chdir(ROOT)
    namespace = {"Client": Client}
    exec(compiled("ssl_verify=", block("ssl_verify=").replace('"owner/glyph-vae"', repr(app_url))), namespace)
    fast, plain = namespace["client"], Client(app_url, verbose=False)
    drawing = handle_file("assets/examples/drawn_A.png")
    assert fast.predict(drawing, api_name="/classify") == plain.predict(drawing, api_name="/classify")
    assert fast.predict([], "ab", 0.0, 3, api_name="/glyphs")[1]["caption"] == "b"


def test_mcp_example_runs(app_url, capsys):
    import threading

    code = block("streamable_http_client").replace("http://127.0.0.1:7860/", app_url)
    # In a thread of its own: the browser tests keep an event loop running in this one.
    thread = threading.Thread(target=exec, args=(compiled("streamable_http_client", code), {"__name__": "readme"}))
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
    for name in re.findall(r"\(`([a-z_-]+\.(?:py|md))`", table):
        assert list(ROOT.rglob(name)), name


def test_the_layout_table_names_every_module_of_the_package_in_its_folder():
    """Each glyph_vae folder's row names the modules that folder holds, and only those."""
    rows = dict(re.findall(r"^\| `(glyph_vae/[a-z_/]*)` \| (.*) \|$", README.split("## Layout")[1], re.M))
    folders = sorted({p.parent for p in (ROOT / "glyph_vae").rglob("*.py")} - {ROOT / "glyph_vae" / "assets"})
    assert {f"{f.relative_to(ROOT)}/" for f in folders} == set(rows)
    for folder in folders:
        named = set(re.findall(r"`([a-z_]+\.py)`", rows[f"{folder.relative_to(ROOT)}/"]))
        assert named - {"__init__.py"} == {p.name for p in folder.glob("*.py")} - {"__init__.py"}, folder


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_links_between_the_pages_lead_somewhere():
    """Every relative link of the README, BENCHMARKS.md and docs/ names a file that is there, and
    an anchor names a heading of that page."""
    pages = [ROOT / "README.md", ROOT / "BENCHMARKS.md", *sorted((ROOT / "docs").rglob("*.md"))]
    assert len(pages) >= 7
    for page in pages:
        text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            assert linked.exists(), f"{page.relative_to(ROOT)} links to {target}"
            if anchor:
                headings = re.findall(r"^#+ (.+)$", re.sub(r"```.*?```", "", linked.read_text(), flags=re.S), re.M)
                assert anchor in {slug(h) for h in headings}, f"{page.relative_to(ROOT)} links to {target}"


def test_font_and_vector_python_example_runs(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compiled("from glyph_vae.writing import glyphs_for"), namespace)
    exec(compiled("from glyph_vae.font import build_font"), namespace)
    from fontTools.ttLib import TTFont

    assert TTFont(tmp_path / "my-hand.ttf")["name"].getDebugName(1) == "My Hand"
    assert (tmp_path / "hello-plotter.svg").read_text().startswith("<?xml")
    from PIL import Image

    assert round(Image.open(tmp_path / "hello-300dpi.png").info["dpi"][0]) == 300  # PNG stores dots per metre


def test_font_and_svg_api_example_runs(app_url, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    namespace = client_setup(app_url)
    exec(compiled('api_name="/write"'), namespace)
    capsys.readouterr()
    exec(compiled('api_name="/font"'), namespace)
    assert capsys.readouterr().out.strip() == "True <?xml"


def test_style_file_api_example_runs(app_url, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    namespace = client_setup(app_url)
    exec(compiled('api_name="/write"'), namespace)
    capsys.readouterr()
    exec(compiled('api_name="/style"'), namespace)
    assert capsys.readouterr().out.strip() == "AK True"
    assert open(namespace["gif"], "rb").read(6) == b"GIF89a"
    assert namespace["ttf"].endswith(".ttf") and open(namespace["svg"]).read(5) == "<?xml"
    assert json.loads(open(namespace["halfway"]).read())["name"] == "Narrow + Wide (50%)"


def test_classify_ruled_example_runs(app_url, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    namespace = client_setup(app_url)
    example = block('api_name="/classify_ruled"')
    exec(compiled('api_name="/classify_ruled"'), namespace)
    printed = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("ruled_")]
    documented = [line.lstrip("# ").split()[:3] for line in example.splitlines() if line.startswith("# ruled_")]
    assert printed == documented  # what the README says each endpoint answers
    assert [row[1] for row in printed] == ["g", "9", "o"]


def test_plain_http_example_runs(app_url, capsys):
    namespace = {}
    exec(compiled("gradio_api/call/", block("gradio_api/call/").replace("http://127.0.0.1:7860", app_url.rstrip("/"))),
         namespace)
    assert capsys.readouterr().out.splitlines() == ["ok", "complete True"]
    event, message = namespace["call"]("write", [], "x" * 501, 0.3, 1)  # an error comes back as the error event
    assert event == "error"

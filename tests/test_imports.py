"""A missing dependency fails here the day it appears: every module imports, and every
third-party package the code imports is declared in the requirements file that installs it."""
from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
import re
import shutil
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The project's own modules (and the test helpers beside the tests), not third-party packages.
LOCAL = {"glyph_vae", "train", "bench", "harness", "tests", "app"} | {p.stem for p in (ROOT / "tests").glob("*.py")}
# What installs what: the app (a Space installs requirements.txt alone); training (with
# requirements-train.txt beside it); the tests and benchmarks (requirements-dev.txt).
LAYERS = {
    "requirements.txt": (["glyph_vae", "app.py"], ["requirements.txt"]),
    "requirements-train.txt": (["train"], ["requirements.txt", "requirements-train.txt"]),
    "requirements-dev.txt": (["bench", "harness", "tests"], ["requirements-dev.txt"]),
}


def modules(package: str) -> list[str]:
    root = importlib.import_module(package)
    return [package] + [info.name for info in pkgutil.walk_packages(root.__path__, package + ".")
                        if not info.name.endswith("__main__")]


@pytest.mark.parametrize("name", [m for p in ("glyph_vae", "train", "bench", "harness") for m in modules(p)])
def test_every_module_imports(name):
    importlib.import_module(name)


def glyph_vae_imports() -> dict[str, set[str]]:
    """Every module of the package -> the package's modules it imports, wherever the import
    stands (a function's lazy import is as much a dependency as the module's own), except under
    `if TYPE_CHECKING:`, which never runs."""
    package_modules = set(modules("glyph_vae"))
    found = {}
    for name in sorted(package_modules):
        path = Path(importlib.util.find_spec(name).origin)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found[name] = set()

        def visit(node):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    continue
                if isinstance(child, ast.Import):
                    targets = [a.name for a in child.names]
                elif isinstance(child, ast.ImportFrom):
                    base = (package.split(".")[:len(package.split(".")) - child.level + 1] if child.level else [])
                    module = ".".join(base + ([child.module] if child.module else []))
                    # `from . import x` names a module; `from .a import b` a name in module a
                    targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in package_modules else module
                               for a in child.names]
                else:
                    targets = []
                found[name] |= {t for t in targets if t in package_modules and t != name}
                visit(child)

        visit(ast.parse(path.read_text()))
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def connect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while not component or component[-1] != v:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def test_the_packages_layering_is_one_way():
    """No module of glyph_vae imports, directly or through others, a module that imports it."""
    graph = glyph_vae_imports()
    assert "glyph_vae.models.hub" in graph["glyph_vae.models.model"]  # the walk sees imports (the model's base)
    assert "glyph_vae.pipelines.style" in graph["glyph_vae.pipelines.writing"]
    assert cycles(graph) == []


LAYERS_ORDER = ["glyph_vae.models", "glyph_vae.glyphs", "glyph_vae.pipelines", "glyph_vae.export", "glyph_vae.ui",
                "glyph_vae.testing"]


def test_the_folders_are_layers_that_import_only_downward():
    """models <- glyphs <- pipelines <- export <- ui, and the test drawings (testing) on top, which
    nothing below imports (the app never needs them): no module imports a folder above its own,
    except that writing's glyphs drawn from pen strokes trace their outlines (export.vector)."""
    def layer(name):
        return next((i for i, p in enumerate(LAYERS_ORDER) if name.startswith(p + ".")), None)

    upward = sorted((a, b) for a, targets in glyph_vae_imports().items() for b in targets
                    if layer(a) is not None and layer(b) is not None and layer(b) > layer(a))
    assert upward == [("glyph_vae.pipelines.stroke_glyphs", "glyph_vae.export.vector")]


SHIMS = {"writing": "pipelines", "style": "pipelines", "style_file": "pipelines", "font": "export",
         "muddle": "models", "digits": "models", "chooser": "models"}


@pytest.mark.parametrize("name", sorted(SHIMS))
def test_the_documented_import_paths_give_the_modules_public_names(name):
    """`from glyph_vae.writing import write` (README, model cards) gets the very objects of the layer's module."""
    shim = importlib.import_module(f"glyph_vae.{name}")
    module = importlib.import_module(f"glyph_vae.{SHIMS[name]}.{name}")
    public = getattr(module, "__all__", [n for n in vars(module) if not n.startswith("_")])
    assert public and all(getattr(shim, n) is getattr(module, n) for n in public)


def test_every_folder_of_the_package_is_in_the_wheel():
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "glyph_vae").rglob("__init__.py")}
    assert folders and folders | {"glyph_vae.assets"} == listed


def test_the_cycle_finder_finds_a_lazy_import_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def declared(requirements: str) -> set[str]:
    """Distribution names in a requirements file and the files it includes with -r."""
    names = set()
    for line in (ROOT / requirements).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            names |= declared(line[3:].strip())
        elif line:
            names.add(normalise(re.split(r"[\[<>=!~; ]", line, maxsplit=1)[0]))
    return names


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def third_party_imports(path: Path) -> set[str]:
    files = [path] if path.suffix == ".py" else sorted(path.rglob("*.py"))
    found = set()
    for file in files:
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module.split(".")[0]]
            else:
                continue
            found |= {n for n in names if n not in sys.stdlib_module_names and n not in LOCAL
                      and not n.startswith("test_")}
    return found


@pytest.mark.parametrize("requirements", list(LAYERS))
def test_every_imported_package_is_declared_where_it_is_installed(requirements):
    distributions = packages_distributions()
    places, files = LAYERS[requirements]
    wanted = set().union(*(declared(f) for f in files))
    missing = {}
    for place in places:
        for module in third_party_imports(ROOT / place):
            dists = {normalise(d) for d in distributions.get(module, [module])}
            if not dists & wanted:
                missing.setdefault(module, []).append(place)
    assert not missing, f"imported but not declared in {requirements} (or a file it includes): {missing}"


def project_version() -> str:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_the_version_is_pyprojects_wherever_it_is_named():
    import glyph_vae
    from glyph_vae.serving import APP_VERSION

    assert glyph_vae.__version__ == APP_VERSION == project_version()


@pytest.mark.slow
def test_the_package_installs_with_its_weights_and_works_from_another_folder(tmp_path):
    """`pip install .` gives a glyph_vae that reads with its bundled weights anywhere."""
    source = tmp_path / "source"  # a copy, so that the build leaves nothing in the checkout
    source.mkdir()
    for name in ("pyproject.toml", "requirements.txt", "requirements-train.txt"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "glyph_vae", source / "glyph_vae", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "assets", source / "assets")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                            "--wheel-dir", str(tmp_path / "wheel"), str(source)],
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next((tmp_path / "wheel").glob("*.whl"))
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                              str(tmp_path / "site"), str(wheel)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr[-2000:]
    code = ("import glyph_vae; from glyph_vae import GlyphVAE, read, bundled_path;"
            "m = GlyphVAE.from_pretrained(); print(glyph_vae.__file__); print(glyph_vae.__version__);"
            "print(read(m, bundled_path('examples', 'drawn_7.png')).character, len(m.style_axes));"
            "from glyph_vae.pipelines.style_file import style_from_file;"
            "print(style_from_file(bundled_path('style_examples', 'bold.json'), m).info.name);"
            "import importlib, pkgutil;"
            "names = [i.name for i in pkgutil.walk_packages(glyph_vae.__path__, 'glyph_vae.')];"
            "[importlib.import_module(n) for n in names]; print(','.join(sorted(names)))")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         env={"PYTHONPATH": str(tmp_path / "site"), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr[-2000:]
    where, version, reading, example_style, imported = run.stdout.splitlines()
    assert where.startswith(str(tmp_path / "site")) and reading == "7 4"
    assert version == project_version()  # from the installed metadata: no pyproject.toml beside it
    assert example_style == "Bold"  # the example style files are installed beside their drawings
    # every module of the checkout is in the wheel (and imports from it), and nothing else of the checkout
    assert imported.split(",") == sorted(modules("glyph_vae")[1:])

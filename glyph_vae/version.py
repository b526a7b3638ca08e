"""The package's version, written once: in pyproject.toml."""
from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "glyph-vae"


def package_version() -> str:
    """pyproject.toml's version: from the file itself in a source checkout (the code that runs is
    that checkout's, even where an older copy is installed in the same environment), else from
    the installed distribution's metadata."""
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    if pyproject.is_file():
        text = pyproject.read_text()
        project = re.search(r"^\[project\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S)
        if project and re.search(rf'^name = "{DISTRIBUTION}"$', project.group(1), re.M):
            return re.search(r'^version = "([^"]+)"$', project.group(1), re.M).group(1)
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # copied without being installed: no version to name
        return "0+unknown"


__version__ = package_version()

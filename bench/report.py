"""Write one benchmark's section of BENCHMARKS.md, leaving the other sections alone."""
from __future__ import annotations

import os
import platform
from datetime import date
from pathlib import Path

from train.evaluate import machine_name

BENCHMARKS = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
HEADER = "# Benchmarks\n\nEach section is written by the script named in it; rerun the script to refresh it.\n"


def machine() -> str:
    return f"{machine_name()}, {os.cpu_count()} cores, Python {platform.python_version()}, {date.today().isoformat()}"


def write_section(name: str, body: str) -> Path:
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    text = BENCHMARKS.read_text() if BENCHMARKS.exists() else HEADER
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    BENCHMARKS.write_text(text)
    return BENCHMARKS

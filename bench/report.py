"""Write one benchmark's section of BENCHMARKS.md, leaving the other sections alone, and the
headline table at its top: every figure a benchmark holds against a target, one row each.

A script passes its headline rows with its section; they are kept in bench/records/headline.json
with the date they were measured, and the table is rewritten from every section's latest rows, so
a rerun of one benchmark refreshes its rows and leaves the others (and their dates) as they were.
"""
from __future__ import annotations

import json
import os
import platform
import re
from datetime import date
from pathlib import Path
from typing import NamedTuple

from train.evaluate import machine_name

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "BENCHMARKS.md"
HEADLINES = ROOT / "bench" / "records" / "headline.json"
EXPERIMENTS = ROOT / "docs" / "experiments"  # runs of variants that did not ship
HEADER = ("# Benchmarks\n\nEach section is written by the script named in it; rerun the script to refresh it. Runs of "
          "variants\nthat did not ship (other muddle makers, scorers, decoders) are in "
          "[docs/experiments/](docs/experiments/).\n")
HEADLINE_SECTION = "headline"


class Headline(NamedTuple):
    """One headline figure: what was measured, its value as shown, the target it is held to (""
    when it has none) and whether it meets it (None when it has no target)."""
    measure: str
    value: str
    target: str = ""
    met: bool | None = None


def machine() -> str:
    return f"{machine_name()}, {os.cpu_count()} cores, Python {platform.python_version()}, {date.today().isoformat()}"


def replace_section(path: Path, name: str, body: str, header: str = HEADER, before_first: bool = False) -> Path:
    """Put `body` between path's `<!-- bench:name -->` markers; a section not there yet goes at
    the end (or before the first section, `before_first`)."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    text = path.read_text() if path.exists() else header
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    elif before_first and "<!-- bench:" in text:
        before, rest = text.split("<!-- bench:", 1)
        text = before + block + "\n\n<!-- bench:" + rest
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
    return path


def write_section(name: str, body: str, headline: list[Headline] | None = None, into: Path | None = None) -> Path:
    """Write section `name` of BENCHMARKS.md (or of `into`, a page under docs/experiments/ for a
    variant that did not ship). `headline`: the section's figures against their targets, recorded
    with today's date and shown in BENCHMARKS.md's headline table."""
    path = replace_section(into or BENCHMARKS, name, body)
    if headline is not None:
        record_headline(name, section_title(body), [Headline(*row) for row in headline])
    return path


def section_title(body: str) -> str:
    """A section's title without the command in brackets: "Reading" of "## Reading (`python -m ...`)"."""
    first = next((line for line in body.strip().splitlines() if line.startswith("## ")), "")
    return re.sub(r"\s*\(`[^`]*`.*$", "", first[3:]).strip()


def read_headlines(path: Path | None = None) -> dict:
    path = path or HEADLINES
    return json.loads(path.read_text()) if path.exists() else {}


def record_headline(name: str, title: str, rows: list[Headline], measured: str | None = None) -> None:
    """Keep section `name`'s headline rows (dated `measured`, default today) and rewrite the table."""
    records = read_headlines()
    records[name] = {"title": title, "measured": measured or date.today().isoformat(),
                     "rows": [row._asdict() for row in rows]}
    HEADLINES.parent.mkdir(parents=True, exist_ok=True)
    HEADLINES.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n")
    write_headline_table(records)


def headline_table(records: dict, order: list[str]) -> str:
    """The headline section's body: one row per figure, sections in BENCHMARKS.md's order."""
    rank = {name: k for k, name in enumerate(order)}
    lines = ["## Headline figures against their targets", "",
             "Every figure a benchmark holds against a target, and a few without one, each written by its benchmark",
             "script with its section below (`bench/records/headline.json` keeps them). Each row carries the date it was",
             "measured: a script refreshes only its own rows, so rows of different dates (and machines: the section",
             "says which, and the load) stand side by side.", "",
             "| measure | value | target | | measured | section |", "| --- | --- | --- | --- | --- | --- |"]
    for name in sorted(records, key=lambda n: (rank.get(n, len(rank)), n)):
        record = records[name]
        for row in record["rows"]:
            verdict = "" if row["met"] is None else ("met" if row["met"] else "**missed**")
            lines.append(f"| {row['measure']} | {row['value']} | {row['target']} | {verdict} | "
                         f"{record['measured']} | {record['title']} |")
    met = sum(row["met"] is True for record in records.values() for row in record["rows"])
    held = sum(row["met"] is not None for record in records.values() for row in record["rows"])
    lines += ["", f"{met} of {held} targets met."]
    return "\n".join(lines)


def write_headline_table(records: dict | None = None) -> Path:
    records = read_headlines() if records is None else records
    text = BENCHMARKS.read_text() if BENCHMARKS.exists() else HEADER
    order = re.findall(r"^<!-- bench:([\w-]+) -->$", text, re.M)
    return replace_section(BENCHMARKS, HEADLINE_SECTION, headline_table(records, order), before_first=True)

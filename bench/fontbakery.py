"""The fonts "Make my font" builds, checked by fontbakery's universal profile.

    pip install fontbakery   # not a dependency of the app or the tests: heavy, and only checked here
    python -m bench.fontbakery

Fonts: the average style and the bold-wide extreme (bench.strokes' styles), 3 alternates at
randomness 0.3, as /font builds them. fontbakery is the `fontbakery` on PATH, or $FONTBAKERY.
`fontdata_namecheck` is left out: it asks a web service whether the family name is taken, which
says nothing of the font (and this machine may be offline). What must hold for a FAIL-free
font is also asserted by tests/test_font.py with fontTools alone.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import torch

from glyph_vae import GlyphVAE
from glyph_vae.export.font import build_font

from .report import Headline, machine, write_section
from .strokes import styles

STYLES = ("average", "bold-wide (extreme)")
LEFT_OUT = ("fontdata_namecheck",)


def fontbakery_exe() -> str | None:
    return os.environ.get("FONTBAKERY") or shutil.which("fontbakery") or (
        str(Path(os.sys.executable).parent / "fontbakery") if (Path(os.sys.executable).parent / "fontbakery").exists()
        else None)


def results(report: dict) -> list[dict]:
    """Every check result in fontbakery's JSON report."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "result" in node and "key" in node and "logs" in node:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(report)
    return found


def check_id(result: dict) -> str:
    key = str(result["key"])
    return key.split("FontBakeryCheck:")[-1].split(">")[0] if "FontBakeryCheck:" in key else key


def first_line(message) -> str:
    """A check's message in a line: its explanation left out where it lists what it found."""
    text = message.get("message", "") if isinstance(message, dict) else str(message)
    found = re.findall(r"Glyph name: (\S+)\s+Contours detected: (\d+)\s+Expected: ([^\n]+)", text)
    if found:  # contour_count: each glyph once
        text = "contours (expected): " + ", ".join(
            f"{g} {n} ({e.strip()})" for g, n, e in dict.fromkeys(found))
    text = " ".join(text.split())
    return text if len(text) < 400 else text[:397] + "..."


def run(exe: str, ttf: bytes) -> list[dict]:
    with tempfile.TemporaryDirectory() as folder:
        font, out = Path(folder) / "MyHand-Regular.ttf", Path(folder) / "report.json"
        font.write_bytes(ttf)
        command = [exe, "check-universal", "-l", "PASS", "--json", str(out), str(font)]
        for check in LEFT_OUT:
            command += ["-x", check]
        subprocess.run(command, check=False, capture_output=True, text=True)  # exits non-zero on any FAIL
        return results(json.loads(out.read_text()))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    torch.set_num_threads(1)
    exe = fontbakery_exe()
    if exe is None:
        raise SystemExit("fontbakery not found: pip install fontbakery (or set $FONTBAKERY).")
    version = subprocess.run([exe, "--version"], check=False, capture_output=True, text=True).stdout.strip()
    model = GlyphVAE.from_pretrained()
    every = styles(model)
    found = {}
    for name in STYLES:
        font = build_font(model, every[name], name="My Hand", alternates=3, randomness=0.3, seed=1)
        found[name] = run(exe, font.ttf)
    lines, worst = [], {}
    for name, checked in found.items():
        counts = {}
        for r in checked:
            counts[r["result"]] = counts.get(r["result"], 0) + 1
        lines.append(f"| {name} | " + " | ".join(str(counts.get(k, 0)) for k in ("FAIL", "WARN", "ERROR", "PASS", "SKIP"))
                     + " |")
        for r in checked:
            if r["result"] in ("FAIL", "WARN", "ERROR", "FATAL"):
                bad = [m for m in r["logs"] if m.get("status") == r["result"]]
                message = "; ".join(dict.fromkeys(first_line(m["message"]) for m in bad))
                worst.setdefault((r["result"], check_id(r)), {})[name] = message

    def said(by_style: dict) -> str:
        if len(set(by_style.values())) == 1:
            return f"({', '.join(by_style)}): {next(iter(by_style.values()))}"
        return "; ".join(f"{style}: {message}" for style, message in by_style.items())

    listed = "\n".join(f"- **{level}** `{check}` {said(v)}" for (level, check), v in sorted(worst.items())) or "- none"
    fails = sum(1 for level, _ in worst if level in ("FAIL", "FATAL", "ERROR"))
    body = f"""## The font against fontbakery (`python -m bench.fontbakery`)

{machine()}; fontbakery {version}, profile `universal`, all checks but {", ".join(f"`{c}`" for c in LEFT_OUT)} (a web
service's opinion of the family name). The fonts of /font ("Make my font"): 3 alternates at randomness 0.3.

| style | FAIL | WARN | ERROR | PASS | SKIP |
|---|---|---|---|---|---|
{chr(10).join(lines)}

{"No FAIL." if not fails else f"**{fails} checks fail or error.**"} What it reported:

{listed}
"""
    write_section("fontbakery", body, [Headline("fontbakery checks failing or in error on `/font`'s fonts",
                                                str(fails), "0", fails == 0)])
    print(body)
    return found


if __name__ == "__main__":
    main()

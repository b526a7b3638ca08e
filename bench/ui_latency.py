"""How fast does the page answer a stroke? Launches `python app.py`, draws characters in
headless Chromium and times the gap from lifting the mouse to the new reading on screen.

    python -m bench.ui_latency [--n 20]

This is what decided that the "Read my writing" tab reads on every finished stroke
instead of waiting for a button: the answer arrives well within a blink. Writes the
"ui" section of BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from glyph_vae import GlyphVAE
from harness.app import running_app
from harness.browser import chromium, draw_character

from .read_accuracy import read_latency_ms
from .report import machine, write_section


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=20)
    args = p.parse_args(argv)
    latencies: list[float] = []
    chars = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
    with running_app(Path(tempfile.mkdtemp()) / "app.log") as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        misses = 0
        for i in range(args.n):
            page.goto(url)  # a fresh page per drawing: a blank canvas with the brush picked
            page.wait_for_selector("#read-pad canvas")
            draw_character(page, chars[i % len(chars)], seed=i)
            start = time.perf_counter()
            try:
                page.wait_for_function("() => document.querySelector('#read-label').innerText.includes('%')",
                                       timeout=15_000, polling=10)
            except Exception:  # noqa: BLE001 - a drawing that never got an answer counts as a miss
                misses += 1
                continue
            latencies.append(1000 * (time.perf_counter() - start))
            print(f"drawing {i + 1}/{args.n}: {latencies[-1]:.0f} ms", file=sys.stderr, flush=True)
    model_ms = read_latency_ms(GlyphVAE.from_pretrained())
    result = {"median_ms": float(np.median(latencies)), "p95_ms": float(np.percentile(latencies, 95)),
              "n": len(latencies), "misses": misses}
    body = f"""## Reading while drawing (`python -m bench.ui_latency`)

Machine: {machine()}. Headless Chromium against `python app.py` on loopback; {result['n']} drawings
answered, {result['misses']} not answered within 15 s. From lifting the mouse after the last stroke to the
top-5 reading on screen: median {result['median_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms. Reading one
400x400 drawing in-process (normalisation, encoder, decoder) takes {model_ms:.1f} ms (median of 200, 1 thread);
the rest is the canvas's PNG export, the round trip and the page's update.
"""
    write_section("ui", body)
    print(body)
    return result


if __name__ == "__main__":
    main()

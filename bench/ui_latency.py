"""How live is drawing? Launches `python app.py`, draws in headless Chromium with the mouse (and
a finger, on a phone-sized page), and times from lifting the pen to the answer on screen.

    python -m bench.ui_latency [--n 30]

- Read tab: pen-up to the final top-5 reading on screen (the reading also follows the pen
  while it draws; this is the wait after the last stroke);
- Write tab: pen-up in a style pad to the rewritten page (the default 43-character text);
- Confuse tab: a drawn digit to its muddle on screen;
- the Read tab on a 390 px phone page, drawn with touch events.

The page records, with performance.now(), when the pen lifted and every change of the
answer; the answer's last change after the pen lifted is the time (0 if the answer on
screen at pen-up was already the final one). Drawings are single-stroke characters, so
each is one pen-up. Median and p95; the machine's load beside them. Writes the "ui"
section of BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from glyph_vae import GlyphVAE
from harness.app import running_app
from harness.browser import PHONE, chromium, draw_character, draw_with_finger

from .read_accuracy import read_latency_ms
from .report import Headline, machine, write_section

SINGLE_STROKE = "0123456789CGLMNOSUVWZ"  # one pen-up each (glyph_vae.glyphs.strokes)

WATCH_JS = """(selector) => {
  window.penUp = null; window.changes = [];
  document.addEventListener('pointerup', () => { window.penUp = performance.now(); }, true);
  const target = document.querySelector(selector);
  new MutationObserver(() => window.changes.push(performance.now()))
    .observe(target, {childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['src']});
}"""


def answered_ms(page, quiet_ms: int = 600, timeout_ms: int = 15_000) -> float | None:
    """ms from the last pen-up to the answer's last change, once the answer has been still for
    `quiet_ms`; None if nothing changed after the pen-up within `timeout_ms`."""
    waited = 0
    while waited < timeout_ms:
        page.wait_for_timeout(100)
        waited += 100
        up, changes = page.evaluate("() => [window.penUp, window.changes]")
        if up is None:
            continue
        after = [c for c in changes if c >= up]
        now = page.evaluate("() => performance.now()")
        if after and now - after[-1] >= quiet_ms:
            return after[-1] - up
        if not after and now - up >= quiet_ms and changes:
            return 0.0  # the answer on screen at pen-up was already the final one
    return None


def measure(page, n: int, draw, prepare, answer: str) -> tuple[list[float], int]:
    times, misses = [], 0
    for i in range(n):
        prepare(page)
        page.evaluate(WATCH_JS, answer)
        draw(page, SINGLE_STROKE[i % len(SINGLE_STROKE)], i)
        ms = answered_ms(page)
        if ms is None:
            misses += 1
        else:
            times.append(ms)
        print(f"{answer} {i + 1}/{n}: {ms if ms is None else round(ms)} ms", file=sys.stderr, flush=True)
    return times, misses


def summary(times: list[float]) -> dict:
    return {"median": float(np.median(times)), "p95": float(np.percentile(times, 95)), "n": len(times)}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=30, help="drawings per measurement")
    args = p.parse_args(argv)
    load_before = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    results = {}
    with running_app(Path(tempfile.mkdtemp()) / "app.log") as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url)
        page.wait_for_selector("#read-pad canvas")

        def clear_read(page):
            page.click("#read-pad .pad-clear")
            page.wait_for_function("() => document.querySelector('#read-hint').innerText.includes('Draw a character')")

        results["read"] = measure(page, args.n, lambda page, c, s: draw_character(page, c, s), clear_read,
                                  "#read-label")

        page.get_by_role("tab", name="Write like me").click()
        page.wait_for_selector("#write-output img", timeout=60_000)

        def clear_style(page):
            page.click("#style-pad-1 .pad-clear")
            page.wait_for_function("() => document.querySelector('#style-read-1').innerText === 'empty'")

        results["write"] = measure(page, args.n, lambda page, c, s: draw_character(page, c, s, pad="#style-pad-1"),
                                   clear_style, "#write-output")

        page.get_by_role("tab", name="Confuse this digit").click()
        page.get_by_text("Or draw your own digit").click()
        page.wait_for_selector("#confuse-pad canvas", state="visible")

        def clear_confuse(page):
            page.click("#confuse-pad .pad-clear")

        results["confuse"] = measure(page, args.n, lambda page, c, s: draw_character(page, "0123456789"[s % 10], s,
                                                                                    pad="#confuse-pad"),
                                     clear_confuse, "#confuse-muddle")
        page.close()

        context = browser.new_context(**PHONE)
        phone = context.new_page()
        phone.goto(url)
        phone.wait_for_selector("#read-pad canvas")
        results["phone"] = measure(phone, args.n, lambda page, c, s: draw_with_finger(page, c, s),
                                   clear_read, "#read-label")
        context.close()
    load_after = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    model_ms = read_latency_ms(GlyphVAE.from_pretrained())
    s = {k: summary(t) for k, (t, _) in results.items()}
    misses = {k: m for k, (_, m) in results.items()}

    def row(key: str, what: str, target: str) -> str:
        return (f"| {what} | {s[key]['n']} | {misses[key]} | {s[key]['median']:.0f} | {s[key]['p95']:.0f} | {target} |")

    body = f"""## Drawing, live (`python -m bench.ui_latency`)

Machine: {machine()}. Load average (1/5/15 min) before: {load_before}, after: {load_after}. Headless Chromium
against `python app.py` on loopback, drawing single-stroke characters (`glyph_vae.glyphs.strokes`) with the mouse,
and with touch events on a 390 px phone page. Time from lifting the pen to the answer's last change on screen
(0 when the answer on screen at pen-up was already final: the Read tab reads while the pen moves, every
100 ms at most).

| what | drawings | not answered in 15 s | median ms | p95 ms | target |
| --- | --- | --- | --- | --- | --- |
{row('read', 'Read tab: pen-up to the top-5 reading', 'median <= 150, p95 <= 300')}
{row('write', 'Write tab: pen-up in a style pad to the rewritten page (43 characters)', 'median <= 400')}
{row('confuse', 'Confuse tab: a drawn digit to its muddle', 'median <= 250')}
{row('phone', 'Read tab on a phone, drawn with a finger', '')}

Reading one 400x400 drawing in-process (normalisation, encoder, decoder) takes {model_ms:.1f} ms (median of
200, 1 thread). The drawing surface is the app's own canvas on `gr.HTML` (`glyph_vae/ui/pad.py`): it sends
its PNG (a few KB) when the pen lifts, and the Read pad also every 100 ms while the pen moves, one request
on its way at a time (`trigger_mode="always_last"`); the rest of each figure is the round trip and the
page's update.
"""
    limits = (("read", "median", 150, "Read tab: pen-up to the reading on screen, median"),
              ("read", "p95", 300, "Read tab: pen-up to the reading on screen, p95"),
              ("write", "median", 400, "Write tab: pen-up in a style pad to the rewritten page, median"),
              ("confuse", "median", 250, "Confuse tab: a drawn digit to its muddle on screen, median"))
    write_section("ui", body, [Headline(what, f"{s[key][stat]:.0f} ms", f"<= {limit} ms", s[key][stat] <= limit)
                               for key, stat, limit, what in limits])
    print(body)
    return s


if __name__ == "__main__":
    main()

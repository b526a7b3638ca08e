"""Headless Chromium, and drawing on the app's pads as a user does: with the mouse or a finger.

Chromium comes from Debian (`apt-get install -y chromium`); Playwright drives it and never
downloads a browser of its own."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np

from glyph_vae.testing.drawings import place_strokes

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}


@contextlib.contextmanager
def chromium():
    """A headless Chromium (Playwright's Browser), closed afterwards."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium not found at {CHROMIUM}: run `apt-get install -y chromium` (see .ci/run)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def stroke_points(page, char: str, seed: int, pad: str, *, height: float = 0.6, slant: float = 0.15
                  ) -> list[list[tuple[float, float]]]:
    """The strokes of `char` (glyph_vae.glyphs.strokes) in page coordinates over `pad`'s canvas."""
    box = page.locator(f"{pad} canvas").first.bounding_box()
    if box is None:
        raise RuntimeError(f"{pad} has no visible canvas")
    side = box["width"]
    strokes = place_strokes(char, np.random.default_rng(seed), 400, height=height, slant=slant)
    return [[(box["x"] + x * side / 400, box["y"] + y * side / 400) for x, y in stroke] for stroke in strokes]


def lined_points(page, char: str, seed: int, pad: str, *, size: float = 1.0) -> list[list[tuple[float, float]]]:
    """The strokes of `char` written on a ruled pad's guides (glyph_vae.testing.ruled_drawings.ruled_strokes: on
    the baseline, `size` times the guides' height), in page coordinates over `pad`'s canvas."""
    from glyph_vae.testing.ruled_drawings import ruled_strokes

    box = page.locator(f"{pad} canvas").first.bounding_box()
    if box is None:
        raise RuntimeError(f"{pad} has no visible canvas")
    side = box["width"]
    strokes = ruled_strokes(char, np.random.default_rng(seed), 400, size=size, miss=0.0, slant=0.1)
    return [[(box["x"] + x * side / 400, box["y"] + y * side / 400) for x, y in stroke] for stroke in strokes]


def draw_on_lines(page, char: str, seed: int = 0, pad: str = "#read-pad", *, size: float = 1.0,
                  every: int = 2) -> None:
    """Write `char` on a ruled pad's lines with the mouse, as draw_character draws."""
    draw_strokes(page, lined_points(page, char, seed, pad, size=size), every=every)


def draw_character(page, char: str, seed: int = 0, pad: str = "#read-pad", *, every: int = 2) -> None:
    """Draw `char` on a pad with the mouse: each stroke pressed, moved through every
    `every`-th point of its skeleton, and released."""
    draw_strokes(page, stroke_points(page, char, seed, pad), every=every)


def draw_strokes(page, strokes: list[list[tuple[float, float]]], *, every: int = 2) -> None:
    """Strokes in page coordinates drawn with the mouse, each pressed, moved and released."""
    for points in strokes:
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1::every] + [points[-1]]:
            page.mouse.move(*point)
        page.mouse.up()


def draw_with_finger(page, char: str, seed: int = 0, pad: str = "#read-pad", *, every: int = 2) -> None:
    """Draw `char` with touch events (a page opened with has_touch=True, e.g. PHONE): each
    stroke is a touchstart, touchmoves and a touchend, as a finger makes them."""
    cdp = page.context.new_cdp_session(page)
    for points in stroke_points(page, char, seed, pad):
        def touch(kind: str, point=None):
            touches = [] if point is None else [{"x": point[0], "y": point[1], "id": 1, "radiusX": 4, "radiusY": 4}]
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touches})
        touch("touchStart", points[0])
        for point in points[1::every] + [points[-1]]:
            touch("touchMove", point)
        touch("touchEnd")
    cdp.detach()


def output_src(page) -> str:
    """The src of the Write tab's written page (a file URL named by its content)."""
    return page.locator("#write-output img").get_attribute("src")


def wait_for_new_output(page, before: str, timeout: int = 30_000) -> None:
    """Until the Write tab shows a page other than `before`."""
    page.wait_for_function(
        "(old) => { const img = document.querySelector('#write-output img'); return img && img.src !== old; }",
        arg=before, timeout=timeout)


def scroll_offset(page) -> float:
    return page.evaluate("() => window.scrollY")

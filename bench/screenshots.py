"""Refresh the README's screenshots: launch `python app.py`, draw and click in headless
Chromium exactly as a user would, and save what the page shows.

    python -m bench.screenshots
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from harness.app import running_app
from harness.browser import chromium, draw_on_lines

ROOT = Path(__file__).resolve().parent.parent


def images_loaded(page) -> None:
    """Every image on the page has arrived and been decoded."""
    page.wait_for_function("() => [...document.images].every((img) => img.complete && img.naturalWidth > 0)")


def settled(page, selector: str, quiet_ms: int = 800) -> None:
    """`selector` shows no progress and its image has not changed for `quiet_ms` (a page
    rewritten after each drawing may be rewritten once more)."""
    page.wait_for_function("""([selector, quiet]) => {
        const el = document.querySelector(selector), img = el.querySelector('img');
        const key = (img ? img.src : '') + (el.innerText.includes('processing') ? '|busy' : '');
        const now = performance.now();
        if (window.__settledKey !== key) { window.__settledKey = key; window.__settledAt = now; return false; }
        return !key.endsWith('|busy') && now - window.__settledAt >= quiet;
    }""", arg=[selector, quiet_ms], polling=100, timeout=60_000)


def main() -> None:
    with running_app(Path(tempfile.mkdtemp()) / "app.log") as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 820})
        page.goto(url)
        page.wait_for_selector("#read-pad canvas")
        draw_on_lines(page, "R", seed=4)
        page.wait_for_function("() => document.querySelector('#read-label').innerText.includes('%')")
        page.screenshot(path=str(ROOT / "assets" / "screenshot_read.png"))

        page.set_viewport_size({"width": 1280, "height": 1000})
        page.get_by_role("tab", name="Write like me").click()
        page.wait_for_selector("#write-output img", timeout=60_000)
        before = page.locator("#write-output img").get_attribute("src")
        draw_on_lines(page, "A", seed=2, pad="#style-pad-1")
        page.wait_for_function("() => document.querySelector('#style-read-1').innerText.includes('read as')")
        draw_on_lines(page, "K", seed=3, pad="#style-pad-2")
        page.wait_for_function("() => document.querySelector('#style-read-2').innerText.includes('read as')")
        page.wait_for_function("(old) => document.querySelector('#write-output img').src !== old", arg=before)
        settled(page, "#write-output")
        images_loaded(page)
        page.screenshot(path=str(ROOT / "assets" / "screenshot_write.png"))

        page.get_by_role("tab", name="Confuse this digit").click()
        page.locator("#confuse-digit label", has_text="7").click()
        page.fill("#confuse-seed input", "3")
        page.click("#confuse-go")
        page.wait_for_selector("#confuse-map img", timeout=60_000)
        images_loaded(page)
        page.screenshot(path=str(ROOT / "assets" / "screenshot_confuse.png"))
    print("wrote assets/screenshot_read.png, screenshot_write.png and screenshot_confuse.png")


if __name__ == "__main__":
    main()

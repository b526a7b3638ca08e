"""Refresh the README's screenshots: launch `python app.py`, draw and click in headless
Chromium exactly as a user would, and save what the page shows.

    python -m bench.screenshots
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import CHROMIUM, CHROMIUM_ARGS, running_app  # noqa: E402
from test_app import draw_character  # noqa: E402


def main() -> None:
    from playwright.sync_api import sync_playwright

    with running_app(Path(tempfile.mkdtemp()) / "app.log") as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 820})
        page.goto(url)
        page.wait_for_selector("#read-pad canvas")
        page.wait_for_timeout(1500)
        draw_character(page, "R", seed=4)
        page.wait_for_function("() => document.querySelector('#read-label').innerText.includes('%')")
        page.wait_for_timeout(800)
        page.screenshot(path=str(ROOT / "assets" / "screenshot_read.png"))
        page.set_viewport_size({"width": 1280, "height": 1400})
        page.get_by_role("tab", name="Write like me").click()
        page.wait_for_selector("#write-output img", timeout=60_000)
        draw_character(page, "A", seed=2, pad="#style-pad-1", canvas_px=240)
        page.wait_for_function("() => document.querySelector('#style-read-1').innerText.includes('read as')")
        draw_character(page, "K", seed=3, pad="#style-pad-2", canvas_px=240)
        page.wait_for_function("() => document.querySelector('#style-read-2').innerText.includes('read as')")
        page.wait_for_timeout(2500)
        page.screenshot(path=str(ROOT / "assets" / "screenshot_write.png"), full_page=True)
        page.get_by_role("tab", name="Confuse this digit").click()
        page.locator("#confuse-digit label", has_text="7").click()
        page.fill("#confuse-seed input", "3")
        page.click("#confuse-go")
        page.wait_for_selector("#confuse-map img", timeout=60_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ROOT / "assets" / "screenshot_confuse.png"), full_page=False)
        browser.close()
    print("wrote assets/screenshot_read.png, screenshot_write.png and screenshot_confuse.png")


if __name__ == "__main__":
    main()

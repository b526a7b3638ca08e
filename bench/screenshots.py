"""Refresh the README's screenshots: launch `python app.py`, draw and click in headless
Chromium exactly as a user would, and save what the page shows.

    python -m bench.screenshots
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from harness.app import running_app
from harness.browser import PHONE, chromium, draw_character, draw_with_finger

ROOT = Path(__file__).resolve().parent.parent


def images_loaded(page) -> None:
    """Every image shown on the page has arrived and been decoded. Gradio's images load lazily,
    so those below the screen (a whole-page shot takes them) are asked for at once; one folded
    away is never shown and never loads."""
    page.evaluate("() => document.querySelectorAll('img[loading=lazy]').forEach((img) => { img.loading = 'eager'; })")
    page.wait_for_function("() => [...document.images].every((img) => img.getClientRects().length === 0"
                           " || (img.complete && img.naturalWidth > 0))")


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


def every_tab(page, draw, shot, *, read_height: int, write_height: int) -> None:
    """Use each tab as a user does (`draw(page, char, seed=, pad=)`) and `shot(page, name)` it."""
    page.wait_for_selector("#read-pad canvas")
    draw(page, "R", seed=4, pad="#read-pad")
    page.wait_for_function("() => document.querySelector('#read-label').innerText.includes('%')")
    shot(page, "read", read_height)

    page.get_by_role("tab", name="Write like me").click()
    page.wait_for_selector("#write-output img", timeout=60_000)
    before = page.locator("#write-output img").get_attribute("src")
    draw(page, "A", seed=2, pad="#style-pad-1")
    page.wait_for_function("() => document.querySelector('#style-read-1').innerText.includes('read as')")
    draw(page, "K", seed=3, pad="#style-pad-2")
    page.wait_for_function("() => document.querySelector('#style-read-2').innerText.includes('read as')")
    page.wait_for_function("(old) => document.querySelector('#write-output img').src !== old", arg=before)
    settled(page, "#write-output")
    images_loaded(page)
    page.evaluate("() => window.scrollTo(0, 0)")
    shot(page, "write", write_height)

    page.get_by_role("tab", name="Confuse this digit").click()
    page.locator("#confuse-digit label", has_text="7").click()
    page.fill("#confuse-seed input", "3")
    page.click("#confuse-go")
    page.wait_for_selector("#confuse-map img", state="attached", timeout=60_000)  # folded away on a phone
    images_loaded(page)
    page.evaluate("() => window.scrollTo(0, 0)")
    shot(page, "confuse", None)


def main() -> None:
    """The README's laptop screenshots (assets/screenshot_<tab>.png, 1280 px wide), and the same
    tabs on a phone (390x844, touch, drawn with a finger: docs/screenshots/phone_<tab>.png, the
    whole page, at 1x so that they stay small)."""
    phone_dir = ROOT / "docs" / "screenshots"
    phone_dir.mkdir(parents=True, exist_ok=True)

    def laptop_shot(page, name, height):
        if height:
            page.set_viewport_size({"width": 1280, "height": height})
        page.screenshot(path=str(ROOT / "assets" / f"screenshot_{name}.png"))

    def phone_shot(page, name, _height):
        page.screenshot(path=str(phone_dir / f"phone_{name}.png"), full_page=True)

    def mouse(page, char, seed, pad):
        draw_character(page, char, seed=seed, pad=pad)

    def finger(page, char, seed, pad):
        page.locator(f"{pad} canvas").scroll_into_view_if_needed()
        draw_with_finger(page, char, seed=seed, pad=pad)

    with running_app(Path(tempfile.mkdtemp()) / "app.log") as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 820})
        page.goto(url)
        every_tab(page, mouse, laptop_shot, read_height=820, write_height=1000)
        context = browser.new_context(**{**PHONE, "device_scale_factor": 1})
        page = context.new_page()
        page.goto(url)
        every_tab(page, finger, phone_shot, read_height=0, write_height=0)
        context.close()
    print("wrote assets/screenshot_{read,write,confuse}.png and docs/screenshots/phone_{read,write,confuse}.png")


if __name__ == "__main__":
    main()

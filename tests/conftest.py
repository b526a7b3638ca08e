"""Shared fixtures: a launched app (as a user starts it), a client of it, and headless Chromium."""
from __future__ import annotations

import pytest

from harness.app import running_app
from harness.browser import chromium

# Tiers (pytest.ini): a test that uses one of these fixtures is in that tier whether or not
# its module says so, so a new browser or server test never lands in the fast tier.
TIER_OF_FIXTURE = {"browser": "browser", "app_url": "server"}
SLOW_TIMEOUT_S = 900  # a slow test's own limit, where it sets none (pytest.ini's timeout is for the rest)


def pytest_collection_modifyitems(items):
    for item in items:
        for fixture, tier in TIER_OF_FIXTURE.items():
            if fixture in item.fixturenames:
                item.add_marker(tier)
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT_S))


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    with running_app(tmp_path_factory.mktemp("app") / "app.log") as url:
        yield url


@pytest.fixture(scope="module")
def client(app_url):
    """A gradio_client Client of the launched app (one per test module)."""
    from gradio_client import Client

    return Client(app_url, verbose=False)


@pytest.fixture(scope="session")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="session")
def models():
    """The app's models as it loads them (the bundled weights: no environment variables)."""
    from glyph_vae.loading import load_models

    return load_models({})


@pytest.fixture(scope="session")
def confuser(models):
    """The Confuse tab's confuser as the app makes it (its models, five scorers, the bundled pool)."""
    from glyph_vae.loading import app_confuser

    return app_confuser(models)


@pytest.fixture
def files(tmp_path):
    from glyph_vae.serving import OutputFiles

    return OutputFiles(tmp_path / "outputs")


@pytest.fixture
def read_page(browser, app_url):
    """A fresh page on the Read tab (the first one), at a laptop's size."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(app_url)
    page.wait_for_selector("#read-pad canvas", timeout=30_000)
    yield page
    page.close()


@pytest.fixture
def write_page(browser, app_url):
    """A fresh page on the Write like me tab, at a laptop's size, its first page (the average style) shown."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(app_url)
    page.get_by_role("tab", name="Write like me").click()
    page.wait_for_selector("#style-pad-1 canvas", timeout=30_000)
    page.wait_for_selector("#write-output img", timeout=30_000)
    yield page
    page.close()

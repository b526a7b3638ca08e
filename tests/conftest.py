"""Shared fixtures: a launched app (as a user starts it) and a headless Chromium."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def drawing_files(folder: Path, characters: str, first_seed: int, *, canvas: int, brush: int) -> list[str]:
    """Each character drawn as a user draws it on a canvas (glyph_vae.strokes), saved as
    folder/<character>.png; the paths, in order."""
    from glyph_vae.strokes import render_drawing

    paths = []
    for i, char in enumerate(characters):
        path = Path(folder) / f"{char}.png"
        render_drawing(char, first_seed + i, canvas=canvas, brush=brush).save(path)
        paths.append(str(path))
    return paths


@contextlib.contextmanager
def running_app(log_path: Path, **env_extra: str):
    """`python app.py` in a subprocess, offline, on a free port; yields its URL."""
    with running_app_process(log_path, **env_extra) as (url, _):
        yield url


@contextlib.contextmanager
def running_app_process(log_path: Path, *, poll_s: float = 0.5, **env_extra: str):
    """As running_app, but yields (URL, the subprocess.Popen), e.g. to read its memory."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "HF_HUB_OFFLINE": "1",
           "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1", **env_extra}
    with open(log_path, "w") as fh:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"app.py exited with {proc.returncode}:\n{Path(log_path).read_text()}")
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError(f"app.py did not answer within 90 s:\n{Path(log_path).read_text()}")
                time.sleep(poll_s)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


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
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `apt-get install -y chromium` (see .ci/run)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()

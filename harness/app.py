"""`python app.py` in a subprocess, as a user starts it: offline, on a free port."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(log_path: Path, **env_extra: str):
    """`python app.py` offline on a free port; yields its URL."""
    with running_app_process(log_path, **env_extra) as (url, _):
        yield url


@contextlib.contextmanager
def running_app_process(log_path: Path, *, poll_s: float = 0.5, start_timeout_s: float = 120, **env_extra: str):
    """As running_app, but yields (URL, the subprocess.Popen), e.g. to read its memory."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "HF_HUB_OFFLINE": "1",
           "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1", **env_extra}
    with open(log_path, "w") as fh:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + start_timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"app.py exited with {proc.returncode}:\n{Path(log_path).read_text()}")
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:  # a hung start, not a slow one: fail with its log
                    raise RuntimeError(f"app.py did not answer within {start_timeout_s:.0f} s:\n"
                                       f"{Path(log_path).read_text()}") from None
                time.sleep(poll_s)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()

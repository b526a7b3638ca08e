"""Soak: 1,000 mixed requests from 8 concurrent clients against one `python app.py`.

Zero errors; every answer equals the one the same request got alone (the models are shared
by the queue's worker threads, so this is also the check that they are thread-safe); and the
server's resident memory stays flat from request 200 to the last (see the bound at the end).
SOAK_REQUESTS overrides the number of requests (bench/limits.py soaks 5,000 plain-HTTP calls).
"""
from __future__ import annotations

import hashlib
import itertools
import os
import threading
import time
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from bench.api_latency import rss_kib
from harness.app import running_app_process
from harness.drawings import drawing_files

pytestmark = [pytest.mark.slow, pytest.mark.server]

REQUESTS = int(os.environ.get("SOAK_REQUESTS", "1000"))
CLIENTS = 8
BASELINE_AT = 200


def digest(endpoint: str, result) -> str:
    """What must not change between a lone call and a concurrent one."""
    if endpoint == "/classify":
        return repr(result)
    if endpoint == "/confuse":
        files = [Path(p).read_bytes() for p in result[:3]]
        return hashlib.sha256(b"".join(files) + repr(sorted(result[4].items())).encode()).hexdigest()
    if endpoint == "/write":
        return hashlib.sha256(Path(result).read_bytes()).hexdigest()
    if endpoint == "/glyphs":
        return hashlib.sha256(b"".join(Path(item["image"]).read_bytes() for item in result)).hexdigest()
    return repr(result)


@pytest.fixture(scope="module")
def mix(tmp_path_factory):
    """(endpoint, args) requests, cycled: weighted towards the cheap calls a page makes most."""
    paths = drawing_files(tmp_path_factory.mktemp("soak"), "7AK3B", 50, canvas=300, brush=16)
    style = [handle_file(p) for p in paths[1:4]]
    return [
        ("/classify", (handle_file(paths[0]),)), ("/health", ()), ("/classify", (handle_file(paths[4]),)),
        ("/write", (style[:1], "Soak test 1", 0.3, 5)), ("/classify", (handle_file(paths[1]),)), ("/health", ()),
        ("/glyphs", ([], "abc", 0.5, 2)), ("/confuse", ("7", None, 3)), ("/classify", (handle_file(paths[3]),)),
        ("/health", ()),
    ]


def test_soak_mixed_requests_no_errors_same_answers_flat_memory(tmp_path, mix):
    with running_app_process(tmp_path / "app.log") as (url, proc):
        alone = {}
        reference = Client(url, verbose=False)
        for k, (endpoint, args) in enumerate(mix):
            alone[k] = digest(endpoint, reference.predict(*args, api_name=endpoint))

        counter = itertools.count(1)
        lock = threading.Lock()
        errors: list[str] = []
        mismatches: list[str] = []
        rss: dict[str, int] = {}
        clients = [Client(url, verbose=False) for _ in range(CLIENTS)]  # one per thread

        def work(client: Client):
            while True:
                with lock:
                    n = next(counter)
                if n > REQUESTS:
                    return
                k = n % len(mix)
                endpoint, args = mix[k]
                try:
                    got = digest(endpoint, client.predict(*args, api_name=endpoint))
                    if got != alone[k]:
                        mismatches.append(f"request {n} {endpoint}")
                except Exception as exc:  # noqa: BLE001 - every error is a failure, listed below
                    errors.append(f"request {n} {endpoint}: {type(exc).__name__}: {exc}")
                if n % BASELINE_AT == 0:
                    rss[n] = rss_kib(proc.pid)

        start = time.perf_counter()
        threads = [threading.Thread(target=work, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        # Both ends are read the same way, by the client thread that made request 200 or
        # the last request, while the others are still in flight.
        rss.setdefault(REQUESTS, rss_kib(proc.pid))  # (when REQUESTS is not a multiple of 200)
        idle = rss_kib(proc.pid)
        assert proc.poll() is None, "the server died"

    growth = rss[REQUESTS] / rss[BASELINE_AT] - 1
    curve = ", ".join(f"{n}: {kib / 1024:.0f}" for n, kib in sorted(rss.items()))
    print(f"\n{REQUESTS} requests, {CLIENTS} clients: {elapsed:.0f} s ({REQUESTS / elapsed:.1f} req/s); "
          f"server RSS (MiB) after request {curve} (idle after the last: {idle / 1024:.0f}); "
          f"growth from request {BASELINE_AT}: {growth:+.1%}")
    assert not errors, f"{len(errors)} errors, e.g. {errors[:3]}"
    assert not mismatches, f"{len(mismatches)} answers differ from the same request made alone: {mismatches[:5]}"
    # The aim is < 10%. Measured here (2 cores, other jobs running) with two malloc arenas
    # and malloc_trim every 5 s (glyph_vae.serving.tune_malloc): +4.9% and +0.8% (+13.9%
    # untuned). This bound is the one that catches a real leak (a per-request copy of an
    # image would add a few hundred MiB over 1,000 requests) without failing CI at random
    # on a busy machine; the 10% itself is reported, not asserted.
    assert growth < 0.25, f"resident memory grew {growth:+.1%} from request {BASELINE_AT} to {REQUESTS}"


def test_plain_http_calls_keep_memory_flat_once_the_sessions_held_are_full(tmp_path):
    """Each plain-HTTP call without a session hash opens a session that Gradio keeps; the app
    holds at most GLYPHVAE_SESSIONS_HELD of them (here 100), so from call 300 on memory is
    flat. (Gradio's default of 10,000 would add about 0.3 MB a call: +200 MB over this run.)
    Calls refused at the door (a body over the limit) leave nothing behind either."""
    import httpx

    from bench.api_latency import plain_call
    from glyph_vae.ui import MAX_REQUEST_BODY

    calls, baseline_at = 1000, 300
    rss = {}
    with running_app_process(tmp_path / "app.log", GLYPHVAE_SESSIONS_HELD="100") as (url, proc):
        with httpx.Client(base_url=url.rstrip("/"), timeout=60) as http:
            for n in range(1, calls + 1):
                plain_call(http, "health", [])
                if n % 50 == 0:
                    refused = http.post("/gradio_api/call/write",
                                        json={"data": [[], "x" * (MAX_REQUEST_BODY + 1), 0.0, 1]})
                    assert refused.status_code == 413
                if n in (baseline_at, calls):
                    rss[n] = rss_kib(proc.pid)
        assert proc.poll() is None
    growth = rss[calls] / rss[baseline_at] - 1
    print(f"\nserver RSS after call {baseline_at}: {rss[baseline_at] / 1024:.0f} MiB, after call {calls}: "
          f"{rss[calls] / 1024:.0f} MiB ({growth:+.1%})")
    assert growth < 0.10, f"resident memory grew {growth:+.1%} from call {baseline_at} to {calls}"

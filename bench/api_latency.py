"""How fast does the app answer over its API? Launches `python app.py` as a user would and
calls every public endpoint through gradio_client on loopback.

    python -m bench.api_latency [--n 100] [--clients 16] [--per-client 8] [--cold 5]

- latency: p50/p95 of --n sequential calls per endpoint (one Client), against /health,
  which only returns a dict made at start-up: the framework's own floor;
- throughput: --clients threads, each with its own Client, --per-client calls each, per
  endpoint: requests per second and errors;
- cold start: from `python app.py` starting to the first answered /health call, median of --cold.

Writes the "api" section of BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from harness.app import running_app, running_app_process
from harness.drawings import drawing_files

from .report import machine, write_section

TEXT_100 = ("The quick brown fox jumps over the lazy dog and then the dog chases the fox around the old barn okay")
assert len(TEXT_100) == 100


def inputs(folder: Path) -> dict:
    from gradio_client import handle_file

    paths = drawing_files(folder, "AK7", 40, canvas=320, brush=14)  # the drawings tests/test_write_app.py sends
    drawings = [handle_file(p) for p in paths]
    return {
        "/health": ((), {}),
        "/classify": ((handle_file(paths[2]),), {}),
        "/confuse": (("3", None, 1), {}),
        "/glyphs": ((drawings, "Hello", 0.3, 1), {}),
        "/write": ((drawings, "Hello world", 0.3, 1), {}),
        "/write 100 chars": ((drawings, TEXT_100, 0.3, 1), {}),
    }


def api_name(endpoint: str) -> str:
    return endpoint.split()[0]


def fast_client_kwargs() -> dict:
    """Client(**these): one SSL context for all of the client's requests (see the README's
    "Faster calls" note). gradio_client opens a new httpx client for every file it uploads
    or downloads and for every call's queue join, and each new httpx client loads
    certifi's CA bundle into a new SSL context (about 40 ms here), even for plain http."""
    import ssl

    import certifi

    return {"ssl_verify": ssl.create_default_context(cafile=certifi.where())}


def latency(url: str, calls: dict, n: int, **client_kwargs) -> dict:
    from gradio_client import Client

    client = Client(url, verbose=False, **client_kwargs)
    out = {}
    for endpoint, (args, _) in calls.items():
        for _ in range(3):  # warm-up
            client.predict(*args, api_name=api_name(endpoint))
        times = []
        for _ in range(n):
            start = time.perf_counter()
            client.predict(*args, api_name=api_name(endpoint))
            times.append(1000 * (time.perf_counter() - start))
        out[endpoint] = {f"p{q}": float(np.percentile(times, q)) for q in (10, 50, 90, 95)}
        print(f"{endpoint}: p50 {out[endpoint]['p50']:.0f} ms, p95 {out[endpoint]['p95']:.0f} ms "
              f"({'shared SSL context' if client_kwargs else 'default Client'})", file=sys.stderr)
    return out


def server_side(url: str, calls: dict, n: int) -> dict:
    """p50 ms of the calls that send no files, read over the plain HTTP API with no client
    library: `POST /gradio_api/call/<name>`, then its event stream read as it arrives, so
    the figure is the server's own time (gradio_client polls for a result every 50 ms)."""
    import httpx

    http = httpx.Client(base_url=url.rstrip("/"), timeout=60)

    def call(name: str, data: list) -> float:
        start = time.perf_counter()
        event = http.post(f"/gradio_api/call/{name}", json={"data": data}).json()["event_id"]
        with http.stream("GET", f"/gradio_api/call/{name}/{event}") as response:
            for line in response.iter_lines():
                if line.startswith(("event: complete", "event: error")):
                    break
        return 1000 * (time.perf_counter() - start)

    out = {}
    for endpoint in ("/health", "/confuse"):
        name, data = endpoint.lstrip("/"), list(calls[endpoint][0])
        for _ in range(3):  # warm-up
            call(name, data)
        out[endpoint] = float(np.median([call(name, data) for _ in range(n)]))
        print(f"{endpoint}: p50 {out[endpoint]:.0f} ms over the plain HTTP API", file=sys.stderr)
    return out


def throughput(url: str, calls: dict, clients: int, per_client: int) -> dict:
    from gradio_client import Client

    pool = [Client(url, verbose=False) for _ in range(clients)]  # one Client per thread: a shared one cancels
    out = {}
    for endpoint, (args, _) in calls.items():
        errors: list[str] = []
        barrier = threading.Barrier(clients + 1)

        def work(client):
            barrier.wait()
            for _ in range(per_client):
                try:
                    client.predict(*args, api_name=api_name(endpoint))
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    errors.append(f"{type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=work, args=(c,)) for c in pool]
        for t in threads:
            t.start()
        barrier.wait()
        start = time.perf_counter()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
        out[endpoint] = {"rps": clients * per_client / wall, "errors": len(errors), "first_error": errors[:1]}
        print(f"{endpoint}: {out[endpoint]['rps']:.1f} req/s, {len(errors)} errors", file=sys.stderr)
    return out


def cold_start(runs: int) -> list[float]:
    """Seconds from starting `python app.py` to its first answered /health call."""
    from gradio_client import Client

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        with running_app_process(Path(tempfile.mkdtemp()) / "app.log", poll_s=0.05) as (url, _):
            Client(url, verbose=False).predict(api_name="/health")
            times.append(time.perf_counter() - start)
        print(f"cold start: {times[-1]:.1f} s", file=sys.stderr)
    return times


def load_average() -> str:
    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=100, help="sequential calls per endpoint")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--per-client", type=int, default=8)
    p.add_argument("--cold", type=int, default=5, help="cold starts (0 to skip)")
    p.add_argument("--url", help="measure an app that is already running instead of launching one")
    args = p.parse_args(argv)
    load_before = load_average()
    folder = Path(tempfile.mkdtemp())
    calls = inputs(folder)
    with contextlib.nullcontext(args.url) if args.url else running_app(folder / "app.log") as url:
        lat = latency(url, calls, args.n)
        fast = latency(url, calls, args.n, **fast_client_kwargs())
        raw = server_side(url, calls, args.n)
        thr = throughput(url, calls, args.clients, args.per_client)
    cold = cold_start(args.cold) if args.cold else []
    load_after = load_average()

    def cells(measured: dict, endpoint: str) -> str:
        target = 1.0 if endpoint == "/health" else (3.0 if "100" in endpoint else 1.5)
        ratio = measured[endpoint]["p50"] / measured["/health"]["p50"]
        met = "" if endpoint == "/health" else ("met" if ratio <= target else f"**missed** (target {target:g}x)")
        return f"{measured[endpoint]['p50']:.0f} | {measured[endpoint]['p95']:.0f} | {ratio:.2f}x {met}"

    rows = [f"| `{e}` | {cells(lat, e)} | {cells(fast, e)} | {thr[e]['rps']:.1f} | {thr[e]['errors']} |" for e in calls]
    cold_line = (f"Cold start (`python app.py` started -> first /health answered), {len(cold)} runs: median "
                 f"{statistics.median(cold):.1f} s (min {min(cold):.1f}, max {max(cold):.1f}); target <= 10 s."
                 if cold else "Cold start not measured in this run.")
    body = f"""## API latency and throughput (`python -m bench.api_latency`)

Machine: {machine()}. `python app.py` on loopback (queue size 64, 8 concurrent calls per endpoint),
called through gradio_client {__import__('gradio_client').__version__}; files are uploaded on every call, as a
client does. Load average (1/5/15 min) before: {load_before}, after: {load_after} (the run's own server and
clients load both cores; a figure above 1 before it means other jobs shared them, and absolute times are
then pessimistic, while the ratios to /health share the same noise).

Latency: {args.n} sequential calls per endpoint after 3 warm-up calls, one Client. The floor is `/health`,
which returns a dict made at start-up. Two clients: gradio_client's default `Client(url)`, and
`Client(url, ssl_verify=ssl.create_default_context(cafile=certifi.where()))`, which shares one SSL
context between the client's requests (the README's "Faster calls" note; certificates are still checked
on https). Throughput: {args.clients} threads, each with its own default Client, {args.per_client} calls each per endpoint.

| endpoint | p50 ms | p95 ms | p50 / floor | p50 ms, shared SSL context | p95 ms | p50 / floor | req/s, {args.clients} clients | errors |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}

Why no endpoint that does real work can come within 1.5x of this floor through gradio_client:
the client waits for a call's result by polling its message queue with a fixed 50 ms sleep
(`time.sleep(0.05)` in `gradio_client.utils.get_pred_from_sse_v1plus`). So a call's time comes
in steps of about 50 ms. /health lands on the first step (the {fast['/health']['p50']:.0f} ms floor). An endpoint whose
server side takes more than about 30-40 ms lands on the second step, 2x the floor, before its
downloads. Read over the plain HTTP API (`POST /gradio_api/call/<name>`, then its event stream
read as it arrives), the server answers /health in {raw['/health']:.0f} ms and /confuse in {raw['/confuse']:.0f} ms (p50 of
{args.n}). Through the shared-context client, /confuse's calls spread from {fast['/confuse']['p10']:.0f} ms (p10) to
{fast['/confuse']['p90']:.0f} ms (p90): they fall on whole steps, one step apart depending on whether the server's
answer beats the client's next look.

{cold_line}
"""
    write_section("api", body)
    print(body)
    return {"latency": lat, "throughput": thr, "cold": cold, "server_side": raw}


if __name__ == "__main__":
    main()

"""What a hosted app's limits hold under abuse, measured on a running `python app.py` over the
plain HTTP API as any client meets it: big pictures, bursts of them, and a long run of calls.

- Big pictures: a 6300x6300 PNG (40 MP, under the pixel limit) and a 36 MP JPEG photo, each
  uploaded and read by /classify: time per call (median) and the server's peak resident memory.
- A burst: 8 clients upload and read the big PNG at once: the server's peak memory.
- Soak: 5,000 plain-HTTP calls without a session hash (each opens a session Gradio keeps, up
  to SESSIONS_HELD), a mix of /health, /classify, /write and refused calls (a seed of 100 KB,
  an over-long text, a body over the limit): resident memory every 500 calls.

    python -m bench.limits            # writes the "limits" section of BENCHMARKS.md
    python -m bench.limits --calls 500   # a quick look (nothing written)
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from PIL import Image

from glyph_vae.models.hub import bundled_path
from glyph_vae.ui import MAX_REQUEST_BODY, SESSIONS_HELD
from harness.app import running_app_process

from .api_latency import load_average, plain_call, rss_kib, status_kib, upload
from .report import Headline, machine, write_section


def reset_peak(pid: int) -> None:
    """Start the kernel's peak-RSS count (VmHWM) afresh (Linux: write 5 to clear_refs)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def big_pictures(folder: Path) -> dict[str, Path]:
    drawing = Image.open(bundled_path("examples", "drawn_A.png")).convert("L")
    png, jpeg = folder / "big_6300.png", folder / "photo_36mp.jpg"
    drawing.resize((6300, 6300), Image.BILINEAR).save(png)
    drawing.convert("RGB").resize((7360, 4912), Image.BILINEAR).save(jpeg, quality=90)
    return {"6300x6300 PNG (40 MP)": png, "7360x4912 JPEG (36 MP)": jpeg}


def refused_call(http, name: str, data: list) -> None:
    response = http.post(f"/gradio_api/call/{name}", json={"data": data})
    if response.status_code != 200:
        return  # refused at the door (413)
    event_id = response.json()["event_id"]
    with http.stream("GET", f"/gradio_api/call/{name}/{event_id}") as stream:
        for line in stream.iter_lines():
            if line.startswith("event: error") or line.startswith("event: complete"):
                break


def measure_big(url: str, pid: int, pictures: dict[str, Path], repeats: int) -> dict:
    """Per picture: the median time of `repeats` reads after one warm-up read, and the peak
    resident memory (the kernel's VmHWM) above the server's level before its first big
    picture: Pillow keeps the blocks of a decoded picture for the next, so memory measured
    after a warm-up would hide the cost."""
    import httpx

    out = {}
    with httpx.Client(base_url=url.rstrip("/"), timeout=120) as http:
        files = {name: upload(http, str(path)) for name, path in pictures.items()}
        plain_call(http, "health", [])
        before = rss_kib(pid)
        reset_peak(pid)
        for name, path in pictures.items():
            times = [plain_call(http, "classify", [files[name]]) for _ in range(repeats + 1)][1:]
            out[name] = {"wire_kb": path.stat().st_size / 1024, "ms": statistics.median(times),
                         "peak_mb": (status_kib(pid, "VmHWM") - before) / 1024, "before_mb": before / 1024}
            print(f"{name}: {out[name]}", file=sys.stderr)
    return out


def read_in_process(pictures: dict[str, Path], repeats: int) -> dict[str, dict]:
    """The read itself, in this process on one thread: `normalize_glyph` of each file's bytes
    (decode, reduce, normalise), median wall and CPU seconds after one warm-up."""
    import torch

    from glyph_vae.glyphs.preprocess import normalize_glyph

    torch.set_num_threads(1)
    out = {}
    for name, path in pictures.items():
        data = path.read_bytes()
        wall, cpu = [], []
        for _ in range(repeats + 1):
            w, c = time.perf_counter(), time.process_time()
            normalize_glyph(data)
            wall.append(time.perf_counter() - w)
            cpu.append(time.process_time() - c)
        out[name] = {"ms": 1000 * statistics.median(wall[1:]), "cpu_ms": 1000 * statistics.median(cpu[1:])}
        print(f"{name} in-process: {out[name]}", file=sys.stderr)
    return out


def burst(url: str, pid: int, path: Path, clients: int) -> dict:
    import httpx

    with httpx.Client(base_url=url.rstrip("/"), timeout=300) as http:
        file = upload(http, str(path))
    reset_peak(pid)
    before = rss_kib(pid)
    errors = []

    def one():
        try:
            with httpx.Client(base_url=url.rstrip("/"), timeout=300) as http:
                plain_call(http, "classify", [file])
        except Exception as exc:  # noqa: BLE001 - counted and reported
            errors.append(repr(exc))

    start = time.perf_counter()
    threads = [threading.Thread(target=one) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = {"clients": clients, "s": time.perf_counter() - start, "errors": len(errors),
           "peak_mb": (status_kib(pid, "VmHWM") - before) / 1024, "before_mb": before / 1024}
    print(f"burst: {out}", file=sys.stderr)
    return out


def soak(url: str, pid: int, calls: int, every: int = 500) -> list[tuple[int, float]]:
    import httpx

    with httpx.Client(base_url=url.rstrip("/"), timeout=120) as http:
        drawing = upload(http, str(bundled_path("examples", "drawn_A.png")))
        mix = [lambda: plain_call(http, "health", []),
               lambda: plain_call(http, "classify", [drawing]),
               lambda: plain_call(http, "write", [[], "Soak", 0.3, 1]),
               lambda: refused_call(http, "write", [[], "Hi", 0.0, "9" * 100_000]),
               lambda: refused_call(http, "write", [[], "x" * 600, 0.0, 1]),
               lambda: refused_call(http, "write", [[], "x" * (MAX_REQUEST_BODY + 1), 0.0, 1])]
        series = [(0, rss_kib(pid) / 1024)]
        for i in range(1, calls + 1):
            mix[i % len(mix)]()
            if i % every == 0:
                series.append((i, rss_kib(pid) / 1024))
                print(f"{i} calls: {series[-1][1]:.0f} MB", file=sys.stderr)
    return series


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench_limits_"))
    pictures = big_pictures(folder)
    load_before = load_average()
    local = read_in_process(pictures, args.repeats)
    with running_app_process(folder / "app.log") as (url, proc):
        big = measure_big(url, proc.pid, pictures, args.repeats)
        bursted = burst(url, proc.pid, pictures["6300x6300 PNG (40 MP)"], 8)
    with running_app_process(folder / "soak.log") as (url, proc):
        series = soak(url, proc.pid, args.calls)
    result = {"big": big, "in_process": local, "burst": bursted, "soak": series}
    if args.no_write or args.calls < 5000:
        print(json.dumps(result, indent=1))
        return result

    rows = "\n".join(f"| {name} | {r['wire_kb']:.0f} KB | {r['ms']:.0f} ms | {local[name]['ms']:.0f} ms "
                     f"({local[name]['cpu_ms']:.0f} ms CPU) | {r['peak_mb']:.0f} MB |" for name, r in big.items())
    soak_rows = " · ".join(f"{n:,}: {mb:.0f}" for n, mb in series)
    after_capacity = [mb for n, mb in series if n >= 2 * SESSIONS_HELD]
    body = f"""## Limits under abuse (`python -m bench.limits`)

{machine()}; load average before: {load_before}. A running `python app.py`, called over the plain
HTTP API (uploads, then `POST /gradio_api/call/<name>` and its event stream).

Big pictures, each uploaded once and read by `/classify` ({args.repeats} calls after a warm-up, median; the
server's peak resident memory, so far, above its {next(iter(big.values()))['before_mb']:.0f} MB before the first):

| picture | on the wire | `/classify` over HTTP | the read alone, in-process, one thread | peak memory |
| --- | --- | --- | --- | --- |
{rows}

A burst of {bursted['clients']} clients reading the 6300x6300 PNG at once: {bursted['s']:.1f} s for all,
{bursted['errors']} errors, peak memory {bursted['peak_mb']:.0f} MB above the {bursted['before_mb']:.0f} MB before
(big decodes run two at a time).

Soak: {args.calls:,} plain-HTTP calls without a session hash (each opens a session; at most {SESSIONS_HELD:,}
are kept), cycling `/health`, `/classify`, `/write`, a refused 100 KB seed, a refused over-long text and a
body over the {MAX_REQUEST_BODY:,}-byte limit (HTTP 413). Resident memory (MB) by calls made: {soak_rows}.
From call {2 * SESSIONS_HELD:,} to the last: {min(after_capacity):.0f} to {max(after_capacity):.0f} MB
({max(after_capacity) - min(after_capacity):+.0f} MB).
"""
    write_section("limits", body, [
        Headline(f"errors in a burst of {bursted['clients']} clients reading a 40 MP picture", str(bursted["errors"]),
                 "0", bursted["errors"] == 0),
        Headline(f"server memory from call {2 * SESSIONS_HELD:,} to {args.calls:,} of the soak (no target)",
                 f"{max(after_capacity) - min(after_capacity):+.0f} MB")])
    return result


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
